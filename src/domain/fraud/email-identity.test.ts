import { describe, expect, it } from 'vitest';
import { emailIdentity, maskedAddress } from './email-identity.js';

describe('emailIdentity', () => {
  it('folds the Gmail variants of one inbox into one address', () => {
    for (const variant of ['anna.jansen@gmail.com', 'AnnaJansen@Gmail.com', 'a.n.n.a.jansen+shop@googlemail.com', ' annajansen+1@gmail.com ']) {
      expect(emailIdentity(variant)?.canonical).toBe('annajansen@gmail.com');
    }
  });

  it('drops +tags for providers that ignore them, but keeps dots there', () => {
    expect(emailIdentity('piet.de.vries+promo@outlook.com')?.canonical).toBe('piet.de.vries@outlook.com');
    expect(emailIdentity('piet+x@icloud.com')?.canonical).toBe('piet@icloud.com');
  });

  it('drops Yahoo -tags', () => {
    expect(emailIdentity('kees-shopping@yahoo.com')?.canonical).toBe('kees@yahoo.com');
  });

  it('keeps other domains as they are, apart from case', () => {
    expect(emailIdentity('A.B+c@Example.NL')).toEqual({ canonical: 'a.b+c@example.nl', domain: 'example.nl' });
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', 'anna', '@gmail.com', 'anna@', 'a@b@c', '+tag@gmail.com']) expect(emailIdentity(bad)).toBeNull();
  });
});

describe('maskedAddress', () => {
  it('keeps two characters of the local part and the domain', () => {
    expect(maskedAddress('annajansen@gmail.com')).toBe('an***@gmail.com');
    expect(maskedAddress('a@example.nl')).toBe('a***@example.nl');
    expect(maskedAddress('nonsense')).toBe('***');
  });
});
