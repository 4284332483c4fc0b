/** Formatting in the UI's language: numbers, points, money in minor units, instants. */
import i18n from '../i18n';

const locale = () => (i18n.language === 'nl' ? 'nl-NL' : 'en-GB');

export const formatNumber = (value: number) => new Intl.NumberFormat(locale()).format(value);

export const formatMoney = (minor: number, currency: string) =>
  new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(minor / 100);

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
