/**
 * Finding members by name through the blind index of name terms, on every dialect: whole words and beginnings
 * match, every word of the search must; a renamed member is found by the new name only; nothing in the table is
 * readable; members from before the index get their terms from the backfill the CLI runs after migrating.
 */
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.js';
import { startBulkOperation } from '../../src/services/bulk/bulk-operations.service.js';
import { processBulkOperations } from '../../src/services/bulk/process-bulk-operations.js';
import { indexMemberNames } from '../../src/services/member-search.js';
import { enrolMember, listMembers, updateMember } from '../../src/services/members.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenProgram } from '../support/factories.js';

forEachDialect('member search by name', (db) => {
  const found = async (programId: string, name: string) => (await listMembers(db.ctx, programId, { name })).data.map((m) => m.externalId).sort();

  async function givenPeople() {
    const { programId } = await givenProgram(db.ctx);
    await enrolMember(db.ctx, programId, { externalId: 'anna', name: 'Anna de Vries' });
    await enrolMember(db.ctx, programId, { externalId: 'annemieke', name: 'Annemieke Jansen' });
    await enrolMember(db.ctx, programId, { externalId: 'zoe', name: 'Zoë de Wit' });
    await enrolMember(db.ctx, programId, { externalId: 'nameless' });
    return programId;
  }

  it('finds by words and beginnings, every word of the search, without case or accents', async () => {
    const programId = await givenPeople();
    expect(await found(programId, 'ann')).toEqual(['anna', 'annemieke']);
    expect(await found(programId, 'Anna')).toEqual(['anna']);
    expect(await found(programId, 'ann vri')).toEqual(['anna']);
    expect(await found(programId, 'de')).toEqual(['anna', 'zoe']);
    expect(await found(programId, 'ZOE')).toEqual(['zoe']);
    expect(await found(programId, 'anna wit')).toEqual([]);
    expect(await found(programId, 'nna')).toEqual([]);
  });

  it('follows renames and removals, and stays inside the programme', async () => {
    const programId = await givenPeople();
    const other = await givenProgram(db.ctx, { name: 'Other' });
    await enrolMember(db.ctx, other.programId, { externalId: 'other-anna', name: 'Anna Bakker' });
    const anna = (await listMembers(db.ctx, programId, { externalId: 'anna' })).data[0];
    await updateMember(db.ctx, programId, anna?.id ?? '', { name: 'Anna Bakker' });
    expect(await found(programId, 'vries')).toEqual([]);
    expect(await found(programId, 'bakker')).toEqual(['anna']);
    await updateMember(db.ctx, programId, anna?.id ?? '', { name: null });
    expect(await found(programId, 'bakker')).toEqual([]);
    expect(await found(other.programId, 'bakker')).toEqual(['other-anna']);
  });

  it('indexes imported members', async () => {
    const { programId } = await givenProgram(db.ctx);
    await startBulkOperation(db.ctx, programId, { kind: 'member_import', items: [{ externalId: 'i-1', name: 'Fenna Visser' }] }, 'x');
    await processBulkOperations(db.ctx);
    expect(await found(programId, 'visser fen')).toEqual(['i-1']);
  });

  it('keeps only keyed hashes: no name or word of it is in the table', async () => {
    await givenPeople();
    const { rows } = await sql`select * from member_name_terms`.execute(db.ctx.storage.db.withoutPlugins());
    expect(rows.length).toBeGreaterThan(10);
    const stored = JSON.stringify(rows).toLowerCase();
    for (const word of ['anna', 'vries', 'annemieke', 'jansen', 'zoe', 'wit', 'ann', 'vri']) expect(stored).not.toContain(`"${word}"`);
  });

  it('refuses a search with no word to search, naming the query parameter', async () => {
    const programId = await givenPeople();
    const error: unknown = await listMembers(db.ctx, programId, { name: ' - ' }).catch((e: unknown) => e);
    expect(isDomainError(error) && [error.code, error.errors[0]?.pointer]).toEqual(['validation_failed', '/querystring/name']);
  });

  it('the backfill gives members from before the index their terms, once', async () => {
    const programId = await givenPeople();
    // As after migration 0013 on an older database: names encrypted, no terms yet.
    await db.ctx.storage.db.deleteFrom('memberNameTerms').execute();
    expect(await found(programId, 'anna')).toEqual([]);
    expect(await indexMemberNames(db.ctx)).toBe(3);
    expect(await found(programId, 'anna')).toEqual(['anna']);
    expect(await found(programId, 'zoe wit')).toEqual(['zoe']);
    expect(await indexMemberNames(db.ctx)).toBe(0);
  });
});
