/**
 * Money is an integer number of minor units with its ISO 4217 currency (2599 EUR = €25.99). Currencies are
 * checked against the runtime's own ISO 4217 list (`Intl.supportedValuesOf`), so no table is kept here.
 */
export interface Money {
  amount: number;
  currency: string;
}

const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));

export function isKnownCurrency(code: string): boolean {
  return knownCurrencies.has(code);
}

/** Minor units per major unit, from the runtime's ISO 4217 data (EUR 2, JPY 0, KWD 3). */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits ?? 2;
}

export function minorPerMajor(currency: string): number {
  return 10 ** minorUnitDigits(currency);
}
