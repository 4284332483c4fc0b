import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nameQueryTerms, nameSearchTerms } from './name-search.js';

const matches = (name: string, query: string) => {
  const terms = new Set(nameSearchTerms(name));
  const wanted = nameQueryTerms(query);
  return wanted.length > 0 && wanted.every((word) => terms.has(word));
};

describe('name search terms', () => {
  it('are the folded words and their beginnings of three letters or more', () => {
    expect(nameSearchTerms('Anna de Vries')).toEqual(['anna', 'ann', 'de', 'vries', 'vri', 'vrie']);
    expect(nameSearchTerms('Zoë Ünal-Çelik')).toEqual(['zoe', 'unal', 'una', 'celik', 'cel', 'celi']);
  });

  it('find a member by whole words, beginnings, any case and without accents, in any order', () => {
    expect(matches('Anna de Vries', 'anna')).toBe(true);
    expect(matches('Anna de Vries', 'VRIES anna')).toBe(true);
    expect(matches('Anna de Vries', 'ann vri')).toBe(true);
    expect(matches('Anna de Vries', 'de')).toBe(true);
    expect(matches('Zoë Ünal-Çelik', 'zoe celik')).toBe(true);
    expect(matches('Zoë Ünal-Çelik', 'Çel')).toBe(true);
  });

  it('do not match inside a word, a two-letter beginning, or a word the name lacks', () => {
    expect(matches('Anna de Vries', 'nna')).toBe(false);
    expect(matches('Anna de Vries', 'an')).toBe(false);
    expect(matches('Anna de Vries', 'anna jansen')).toBe(false);
    expect(matches('Anna de Vries', '  ')).toBe(false);
  });

  it('always find a name by each of its own words (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-zÀ-ÿ]{2,12}$/), { minLength: 1, maxLength: 4 }), (parts) => {
        const name = parts.join(' ');
        for (const word of nameQueryTerms(name).slice(0, 3)) expect(matches(name, word)).toBe(true);
      }),
    );
  });

  it('stay bounded for an absurd name', () => {
    expect(nameSearchTerms('x'.repeat(500) + ' ' + 'y'.repeat(500)).length).toBeLessThanOrEqual(60);
  });
});
