/** Formatting in the UI's language: numbers, points, money in minor units, instants. */
import i18n from '../i18n';

const locale = () => (i18n.language === 'nl' ? 'nl-NL' : 'en-GB');

export const formatNumber = (value: number) => new Intl.NumberFormat(locale()).format(value);

/** Minor units per major unit of a currency, from the browser's ISO 4217 data (EUR 2, JPY 0, KWD 3), as the server counts them. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** An amount typed in major units (12.5 EUR) as the minor units the API takes (1250). */
export const toMinor = (major: number, currency: string) => Math.round(major * 10 ** minorUnitDigits(currency));

/** Minor units from the API (1250) as the major units a form shows (12.5). */
export const fromMinor = (minor: number, currency: string) => minor / 10 ** minorUnitDigits(currency);

export const formatMoney = (minor: number, currency: string) =>
  new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(fromMinor(minor, currency));

export const formatPercent = (ratio: number | null) =>
  ratio === null ? '–' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(ratio);

export const formatDateTime = (iso: string | null | undefined) =>
  iso ? new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '–';

export const formatDate = (iso: string | null | undefined) =>
  iso ? new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso)) : '–';

/** A reward's name or description: one string, or one per locale ({"en": …, "nl": …}). */
export function localized(value: string | Record<string, string> | null | undefined, language = i18n.language): string {
  if (value == null) return '';
  if (typeof value === 'string') return value;
  return value[language] ?? value.en ?? Object.values(value)[0] ?? '';
}
