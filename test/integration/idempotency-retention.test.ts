/**
 * Idempotency records are kept for a documented 30 days (services/idempotency-retention.ts): within them a retry
 * replays, after them the job has removed the record and the key is free again; other records stay.
 */
import { expect, it } from 'vitest';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { idempotencyRetentionDays, pruneIdempotencyRecords } from '../../src/services/idempotency-retention.js';
import { runAllJobs } from '../../src/jobs/runner.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

forEachDialect('idempotency retention', (db) => {
  it('a key replays within the retention and is pruned after it, by the job, leaving newer records', async () => {
    const { programId } = await givenProgram(db.ctx);
    const member = await givenMember(db.ctx, programId);
    const first = await adjustPoints(db.ctx, programId, member.id, { points: 10, reason: 'welcome' }, 'key-old');
    db.clock.advanceDays(idempotencyRetentionDays - 1);
    expect(await pruneIdempotencyRecords(db.ctx)).toEqual({ records: 0 });
    expect(await adjustPoints(db.ctx, programId, member.id, { points: 10, reason: 'welcome' }, 'key-old')).toEqual({ replayed: true, adjustment: first.adjustment });
    await adjustPoints(db.ctx, programId, member.id, { points: 5, reason: 'later' }, 'key-new');
    db.clock.advanceDays(2);
    const report = await runAllJobs(db.ctx);
    expect(report['prune-idempotency-records']).toEqual({ records: 1 });
    const keys = await db.ctx.storage.db.selectFrom('idempotencyKeys').select('key').where('programId', '=', programId).execute();
    expect(keys.map((k) => k.key)).toEqual(['key-new']);
    const again = await adjustPoints(db.ctx, programId, member.id, { points: 10, reason: 'welcome' }, 'key-old');
    expect(again.replayed).toBe(false);
  });
});
