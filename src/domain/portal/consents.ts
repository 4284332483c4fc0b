/**
 * A member's consents as the portal manages them: each one's current value and when it last changed. A change
 * is recorded only when the value differs, so saving the same form twice leaves the times (and the outbox)
 * alone. Never-given consent reads as false: marketing needs an explicit yes.
 */
export const consentNames = ['marketingEmail', 'marketingSms', 'personalisedOffers'] as const;
export type ConsentName = (typeof consentNames)[number];

export type StoredConsents = Partial<Record<ConsentName, { granted: boolean; changedAt: number }>>;
export type Consents = Record<ConsentName, boolean>;

export function parseConsents(json: string): StoredConsents {
  const parsed = JSON.parse(json) as unknown;
  return typeof parsed === 'object' && parsed !== null ? (parsed as StoredConsents) : {};
}

export function currentConsents(stored: StoredConsents): Consents {
  return {
    marketingEmail: stored.marketingEmail?.granted ?? false,
    marketingSms: stored.marketingSms?.granted ?? false,
    personalisedOffers: stored.personalisedOffers?.granted ?? false,
  };
}

/** The stored consents after `wanted`, and the names of those that changed. */
export function changeConsents(stored: StoredConsents, wanted: Consents, now: number): { stored: StoredConsents; changed: ConsentName[] } {
  const next: StoredConsents = { ...stored };
  const changed: ConsentName[] = [];
  const current = currentConsents(stored);
  for (const name of consentNames) {
    if (current[name] === wanted[name]) continue;
    changed.push(name);
    next[name] = { granted: wanted[name], changedAt: now };
  }
  return { stored: next, changed };
}
