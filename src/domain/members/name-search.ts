/**
 * Finding members by name without keeping names in the clear. A name is cut into search terms — each word
 * (folded: lower case, accents dropped) and each word's beginnings of three letters or more — and only keyed
 * hashes of the terms are stored (a blind index, like e-mail's). A query matches a member when every word of
 * the query is one of the member's terms: "anna vri" finds "Anna de Vries"; "ann" finds "Anna" and "Annemieke".
 * What leaks is how many members share a term, not the term; two-letter beginnings are left out so that short,
 * common prefixes do not group half the programme.
 */

const MIN_WORD = 2;
const MIN_PREFIX = 3;
/** Enough for long double-barrelled names; keeps a pathological "name" from writing hundreds of rows. */
const MAX_TERMS = 60;
const MAX_QUERY_WORDS = 5;

function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => [...word].length >= MIN_WORD);
}

/** The terms a member's name is found by, each once. */
export function nameSearchTerms(name: string): string[] {
  const terms = new Set<string>();
  for (const word of words(name)) {
    const letters = [...word];
    terms.add(word);
    for (let length = MIN_PREFIX; length < letters.length; length++) terms.add(letters.slice(0, length).join(''));
    if (terms.size >= MAX_TERMS) break;
  }
  return [...terms].slice(0, MAX_TERMS);
}

/** The words of a search, each of which a member's terms must hold; empty when nothing searchable is left. */
export function nameQueryTerms(query: string): string[] {
  return [...new Set(words(query))].slice(0, MAX_QUERY_WORDS);
}
