/**
 * A programme's slug: its member portal's address `/p/{slug}`. Lowercase letters, digits and dashes, 3 to 40
 * characters, no dash at either end, so it reads well in a URL and never needs escaping.
 */
import { DomainError } from '../errors.js';

const slugPattern = /^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$/;
/** Words the owner's routes use at `/v1/portal/{word}`: a portal there would be ambiguous to read. */
const reservedSlugs: ReadonlySet<string> = new Set(['settings', 'keys']);

/** @throws DomainError validation_failed at `pointer` */
export function checkSlug(slug: string, pointer: string): string {
  if (!slugPattern.test(slug)) {
    throw DomainError.field('validation_failed', pointer, 'A slug is 3 to 40 lowercase letters, digits and dashes, starting and ending with a letter or digit.');
  }
  if (reservedSlugs.has(slug)) throw DomainError.field('validation_failed', pointer, `${slug} is reserved; choose another slug.`);
  return slug;
}

/**
 * The slug a new programme starts with: its name without accents, lowercased, other characters as dashes. It
 * keeps room for a `-N` suffix when the plain one is taken (see `withSuffix`).
 */
export function slugFromName(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/g, '');
  if (base.length < 3) return 'program';
  return reservedSlugs.has(base) ? `${base}-program` : base;
}

/** The first of `base`, `base-2`, `base-3`, … not in `taken`. */
export function firstFreeSlug(base: string, taken: ReadonlySet<string>): string {
  let slug = base;
  for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
  return slug;
}
