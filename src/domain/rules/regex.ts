/**
 * Regular expressions in rules (`matches`) run on RE2 (re2js, a port of Go's regexp): matching takes time
 * linear in the input whatever the pattern, because RE2 has no backtracking. The price is RE2's syntax: no
 * backreferences (`\1`) and no lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`); such patterns are refused when the
 * rule is saved. A JavaScript RegExp backtracks: `^(a+)+$` against 28 a's and a `!` takes seconds.
 */
import { RE2JS } from 're2js';

/** The longest pattern a rule may use; RE2 compiles in time and memory proportional to it. */
export const maxPatternLength = 1_000;

const cacheCapacity = 1_000;
const compiled = new Map<string, RE2JS>();

export type PatternResult = { ok: true; regex: RE2JS } | { ok: false; reason: string };

/** Compiles an RE2 pattern once per distinct text (a bounded cache), or says why RE2 refuses it. */
export function compilePattern(pattern: string): PatternResult {
  const cached = compiled.get(pattern);
  if (cached) return { ok: true, regex: cached };
  if (pattern.length > maxPatternLength) {
    return { ok: false, reason: `The pattern is ${pattern.length} characters long; at most ${maxPatternLength} are allowed.` };
  }
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'not a valid pattern';
    return {
      ok: false,
      reason: `The pattern is not valid RE2 syntax (${message}); RE2 has no backreferences and no lookahead or lookbehind.`,
    };
  }
  compiled.set(pattern, regex);
  if (compiled.size > cacheCapacity) {
    const oldest = compiled.keys().next();
    if (!oldest.done) compiled.delete(oldest.value);
  }
  return { ok: true, regex };
}
