/**
 * Birthday and anniversary triggers: once a year per member, on the day in the programme's timezone, Trouw
 * records a `birthday` or `anniversary` event for the member, and the programme's rules decide what it earns
 * (a rule with trigger `birthday`, like any other). Members born on 29 February celebrate on 28 February in
 * other years. Anniversaries count from enrolment and start at one year.
 *
 * Once a year is the event id: `trouw:birthday:<member>:<year>`. Event ingestion is idempotent on it (the
 * member is locked before the id is looked up), so a second run, a second worker or a run killed half-way
 * never records or awards twice; and members whose event exists are not selected again.
 */
import { DateTime } from 'luxon';
import { sql } from 'kysely';
import type { ServiceContext } from '../context.js';
import { listPrograms } from '../storage/repositories/programs.repository.js';
import { inTransaction, type Trx } from '../storage/transaction.js';
import { ingestEvents, type RecordEventInput } from './events/ingest.js';

const BATCH = 200;

export type YearlyTrigger = 'birthday' | 'anniversary';

export interface YearlyTriggerRun {
  birthday: number;
  anniversary: number;
}

/** Records today's birthday and anniversary events in every programme. Returns how many it recorded. */
export async function recordYearlyTriggers(ctx: ServiceContext): Promise<YearlyTriggerRun> {
  const run: YearlyTriggerRun = { birthday: 0, anniversary: 0 };
  for (const program of await listPrograms(ctx.storage.db)) {
    for (const kind of ['birthday', 'anniversary'] as const) {
      run[kind] += await recordTrigger(ctx, program.id, program.timezone, kind);
    }
  }
  return run;
}

async function recordTrigger(ctx: ServiceContext, programId: string, timezone: string, kind: YearlyTrigger): Promise<number> {
  let recorded = 0;
  for (;;) {
    const now = ctx.clock.now();
    const today = DateTime.fromMillis(now, { zone: timezone });
    const days = [today.toFormat('MM-dd')];
    if (days[0] === '02-28' && !today.isInLeapYear) days.push('02-29');
    const startOfToday = today.startOf('day').toMillis();
    const due = await findDueMembers(ctx.storage.db, programId, kind, days, today.year, startOfToday);
    if (due.length === 0) return recorded;
    const inputs: RecordEventInput[] = due.map((member) => ({
      id: triggerEventId(kind, member.id, today.year),
      type: kind,
      memberId: member.id,
      occurredAt: new Date(now).toISOString(),
      data: kind === 'anniversary' ? { years: today.year - DateTime.fromMillis(Number(member.createdAt), { zone: timezone }).year } : {},
    }));
    const outcomes = await inTransaction(ctx.storage, (trx) => ingestEvents(ctx, trx, programId, inputs, 'system'));
    const fresh = outcomes.filter((o) => o.ok && !o.outcome.replayed).length;
    recorded += fresh;
    // Everything selected was recorded now or by another worker; if nothing was, stop rather than spin on
    // members whose events cannot be recorded (a failure is logged for the operator).
    const failed = outcomes.flatMap((o) => (o.ok ? [] : [o.error.detail]));
    if (failed.length > 0) {
      ctx.logger.error({ programId, kind, failed: failed.slice(0, 5) }, 'yearly trigger events could not be recorded');
      return recorded;
    }
  }
}

export function triggerEventId(kind: YearlyTrigger, memberId: string, year: number): string {
  return `trouw:${kind}:${memberId}:${year}`;
}

async function findDueMembers(db: Trx, programId: string, kind: YearlyTrigger, days: string[], year: number, startOfToday: number) {
  let query = db
    .selectFrom('members as m')
    .select(['m.id', 'm.createdAt'])
    .where('m.programId', '=', programId)
    .where('m.status', '=', 'active')
    .where(kind === 'birthday' ? 'm.birthday' : 'm.anniversary', 'in', days)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('events as e')
            .select(sql`1`.as('one'))
            .whereRef('e.programId', '=', 'm.programId')
            .where('e.clientEventId', '=', sql<string>`${`trouw:${kind}:`} || m.id || ${`:${year}`}`),
        ),
      ),
    );
  // An anniversary needs at least a year: not the day a member enrolled.
  if (kind === 'anniversary') query = query.where('m.createdAt', '<', startOfToday);
  return query.orderBy('m.id').limit(BATCH).execute();
}
