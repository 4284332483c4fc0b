/**
 * Vanity referral codes. A member may choose their code once: 4–16 letters and digits, stored upper case.
 * Refused: profanity (English from the maintained `obscenity` dataset with its recommended transformers, which
 * also catch leetspeak such as B1TCH, plus a short Dutch list), and codes that look like another member's code.
 * Look-alikes are compared through a skeleton in which characters people confuse are folded together
 * (O/0, I/1/L, S/5, B/8, Z/2), so `ANNA1` and `ANNAI` or `B0B` and `BOB` have the same skeleton.
 */
import { DataSet, englishDataset, englishRecommendedTransformers, parseRawPattern, RegExpMatcher } from 'obscenity';

export const vanityCodeMinLength = 4;
export const vanityCodeMaxLength = 16;

/** Dutch words the English dataset does not know; matched anywhere in a code, like the English ones. */
const dutchWords = ['kut', 'klootzak', 'hoer', 'tyfus', 'tering', 'kanker', 'godver', 'lul', 'eikel', 'flikker', 'mongool', 'neuk', 'pik'];

const dataset = new DataSet<{ originalWord: string }>().addAll(englishDataset);
for (const word of dutchWords) dataset.addPhrase((phrase) => phrase.setMetadata({ originalWord: word }).addPattern(parseRawPattern(word)));

const matcher = new RegExpMatcher({ ...dataset.build(), ...englishRecommendedTransformers });

/** Upper case without surrounding spaces: the form codes are stored and compared in. */
export function normaliseReferralCode(code: string): string {
  return code.trim().toUpperCase();
}

export function isProfane(code: string): boolean {
  return matcher.hasMatch(code.toLowerCase());
}

const folds: Readonly<Record<string, string>> = { '0': 'O', '1': 'I', L: 'I', '5': 'S', '8': 'B', '2': 'Z' };

/** The look-alike skeleton: equal skeletons read alike. */
export function codeSkeleton(code: string): string {
  let skeleton = '';
  for (const ch of normaliseReferralCode(code)) skeleton += folds[ch] ?? ch;
  return skeleton;
}

export type VanityCodeVerdict = { ok: true; code: string } | { ok: false; reason: 'format' | 'profanity' };

/** Checks the form and the words of a vanity code (look-alikes need the other codes: see `codeSkeleton`). */
export function checkVanityCode(input: string): VanityCodeVerdict {
  const code = normaliseReferralCode(input);
  const pattern = new RegExp(`^[A-Z0-9]{${vanityCodeMinLength},${vanityCodeMaxLength}}$`);
  if (!pattern.test(code)) return { ok: false, reason: 'format' };
  // The skeleton catches profanity spelt with look-alike digits that the transformers leave alone.
  if (isProfane(code) || isProfane(codeSkeleton(code))) return { ok: false, reason: 'profanity' };
  return { ok: true, code };
}
