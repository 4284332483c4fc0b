import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password-hash.js';

describe('password hashing', () => {
  it('stores a self-describing scrypt hash with a random salt', async () => {
    const a = await hashPassword('paard-fiets-molen');
    const b = await hashPassword('paard-fiets-molen');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('paard');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('paard-fiets-molen');
    expect(await verifyPassword('paard-fiets-molen', stored)).toBe(true);
    expect(await verifyPassword('paard-fiets-molen!', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('verifies with the parameters stored in the hash, so they can be raised later', async () => {
    const stored = await hashPassword('paard-fiets-molen');
    const [, , , , salt] = stored.split('$');
    // An older, cheaper hash made by hand with N = 2^14 still verifies.
    const crypto = await import('node:crypto');
    const old = crypto.scryptSync('paard-fiets-molen', Buffer.from(salt ?? '', 'base64url'), 32, { N: 2 ** 14, r: 8, p: 1 });
    expect(await verifyPassword('paard-fiets-molen', `scrypt$16384$8$1$${salt}$${old.toString('base64url')}`)).toBe(true);
  });

  it('refuses hashes it cannot read instead of throwing', async () => {
    expect(await verifyPassword('x', 'bcrypt$2b$...')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$16384$8$1$c2FsdA$')).toBe(false);
  });
});
