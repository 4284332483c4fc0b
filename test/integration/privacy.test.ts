import fs from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { enrolMember, listMembers } from '../../src/services/members.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenProgram } from '../support/factories.js';

forEachDialect('personal data at rest', (db) => {
  const person = { email: 'Marieke.Jansen@Voorbeeld.nl', name: 'Marieke Jansen-Bakker', phone: '+31 6 1234 5678', birthDate: '1987-04-27' };

  describe('storage', () => {
    it('keeps email, name, phone and birth date encrypted in the database', async () => {
      const { programId } = await givenProgram(db.ctx);
      await enrolMember(db.ctx, programId, { externalId: 'c-privacy', ...person });
      const { rows } = await sql<Record<string, unknown>>`select * from members`.execute(db.ctx.storage.db.withoutPlugins());
      const stored = JSON.stringify(rows);
      for (const value of [person.email, person.email.toLowerCase(), person.name, 'Marieke', person.phone, person.birthDate]) {
        expect(stored).not.toContain(value);
      }
      if (db.dialect === 'sqlite') {
        // The whole file, including the WAL, must not hold the plaintext anywhere (pages, indexes, free space).
        await sql`pragma wal_checkpoint(truncate)`.execute(db.ctx.storage.db);
        for (const file of [db.sqlitePath, `${db.sqlitePath}-wal`]) {
          if (!fs.existsSync(file)) continue;
          const bytes = fs.readFileSync(file).toString('latin1');
          for (const value of [person.email.toLowerCase(), person.name, 'Marieke', person.birthDate]) expect(bytes).not.toContain(value);
        }
      }
    });

    it('finds a member by email through the blind index, whatever the case', async () => {
      const { programId } = await givenProgram(db.ctx);
      const member = await enrolMember(db.ctx, programId, { externalId: 'c-find', ...person });
      const found = await listMembers(db.ctx, programId, { email: 'MARIEKE.JANSEN@voorbeeld.NL' });
      expect(found.data.map((m) => m.id)).toEqual([member.id]);
      expect(found.data[0]).toMatchObject({ email: person.email.toLowerCase(), name: person.name, phone: person.phone, birthDate: person.birthDate });
    });
  });
});
