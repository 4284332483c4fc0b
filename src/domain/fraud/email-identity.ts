/**
 * The person behind an e-mail address, as far as the address tells: `Anna.Jansen+shop@GoogleMail.com` and
 * `annajansen@gmail.com` reach the same inbox. Used to catch self-referrals by address variants. Only rules a
 * provider documents are applied: Gmail ignores dots and `+tags` (and googlemail.com is gmail.com); Outlook,
 * iCloud, Proton and Fastmail ignore `+tags`; Yahoo uses `-` for the same purpose. Other domains keep their
 * local part as is (a company's mail server may treat `a.b` and `ab` as different people).
 */

const domainAliases: Readonly<Record<string, string>> = { 'googlemail.com': 'gmail.com' };
const ignoresDots = new Set(['gmail.com']);
const plusTags = new Set([
  'gmail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'icloud.com', 'me.com', 'mac.com',
  'protonmail.com', 'proton.me', 'pm.me', 'fastmail.com', 'fastmail.fm',
]);
const dashTags = new Set(['yahoo.com', 'ymail.com']);

export interface EmailIdentity {
  /** The canonical address: one per inbox, as far as the provider's rules go. */
  canonical: string;
  domain: string;
}

/** Returns null for a string that is not an address (no single `@` with text on both sides). */
export function emailIdentity(address: string): EmailIdentity | null {
  const trimmed = address.trim().toLowerCase();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1 || trimmed.indexOf('@') !== at) return null;
  const domain = domainAliases[trimmed.slice(at + 1)] ?? trimmed.slice(at + 1);
  let local = trimmed.slice(0, at);
  if (plusTags.has(domain)) local = local.split('+')[0] ?? local;
  if (dashTags.has(domain)) local = local.split('-')[0] ?? local;
  if (ignoresDots.has(domain)) local = local.replaceAll('.', '');
  if (local.length === 0) return null;
  return { canonical: `${local}@${domain}`, domain };
}

/**
 * An address as a reviewer may see it in fraud evidence: the first two characters of the local part and the
 * domain (`an***@gmail.com`). Enough to tell two addresses apart at a glance, not enough to write to the member.
 */
export function maskedAddress(canonical: string): string {
  const at = canonical.lastIndexOf('@');
  if (at < 0) return '***';
  return `${canonical.slice(0, Math.min(2, at))}***${canonical.slice(at)}`;
}
