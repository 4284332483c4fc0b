/**
 * The ledger invariants of DESIGN.md §4.2, checked on a live database by `trouw verify` and at the end of every
 * integration test. Each check is one aggregate query that returns the rows that break it, so a healthy
 * database answers with empty results and a broken one names what is wrong.
 */
import { sql } from 'kysely';
import type { Storage } from './db.js';

export interface Violation {
  invariant: string;
  detail: string;
}

export async function verifyLedger(storage: Storage, programId?: string): Promise<Violation[]> {
  const db = storage.db;
  // The programme filter for a table alias, or no filter for the whole database.
  const scoped = (alias: string) => (programId === undefined ? sql`1 = 1` : sql`${sql.ref(`${alias}.program_id`)} = ${programId}`);
  const scope = programId === undefined ? sql`1 = 1` : sql`program_id = ${programId}`;
  const violations: Violation[] = [];
  const run = async (name: string, query: ReturnType<typeof sql>, describe: (row: Record<string, unknown>) => string) => {
    const { rows } = await query.execute(db.withoutPlugins());
    for (const row of rows as Record<string, unknown>[]) violations.push({ invariant: name, detail: describe(row) });
  };

  await run(
    'every ledger transaction sums to zero',
    sql`select program_id, transaction_id, sum(amount) as total from ledger_entries where ${scope}
        group by program_id, transaction_id having sum(amount) <> 0`,
    (r) => `transaction ${String(r.transaction_id)} sums to ${String(r.total)}`,
  );
  await run(
    'every ledger transaction has entries',
    sql`select t.program_id, t.id from ledger_transactions t where ${scoped('t')}
        and not exists (select 1 from ledger_entries e where e.program_id = t.program_id and e.transaction_id = t.id)`,
    (r) => `transaction ${String(r.id)} has no entries`,
  );
  await run(
    "a member's materialised balance equals the sum of their entries",
    sql`select m.program_id, m.id, m.available, m.pending,
          coalesce(e.available, 0) as ledger_available, coalesce(e.pending, 0) as ledger_pending
        from members m
        left join (
          select program_id, member_id,
            sum(case when account = 'member_available' then amount else 0 end) as available,
            sum(case when account = 'member_pending' then amount else 0 end) as pending
          from ledger_entries where member_id is not null group by program_id, member_id
        ) e on e.program_id = m.program_id and e.member_id = m.id
        where ${scoped('m')}
          and (m.available <> coalesce(e.available, 0) or m.pending <> coalesce(e.pending, 0))`,
    (r) =>
      `member ${String(r.id)} shows available ${String(r.available)} / pending ${String(r.pending)}, ` +
      `ledger says ${String(r.ledger_available)} / ${String(r.ledger_pending)}`,
  );
  await run(
    'no balance is below zero',
    sql`select id, available, pending from members where ${scope} and (available < 0 or pending < 0)`,
    (r) => `member ${String(r.id)} has available ${String(r.available)}, pending ${String(r.pending)}`,
  );
  await run(
    "a lot's remaining points equal its entries, on the account its release state says",
    sql`select l.program_id, l.id, l.remaining, l.released_at,
          coalesce(e.available, 0) as ledger_available, coalesce(e.pending, 0) as ledger_pending
        from lots l
        left join (
          select program_id, lot_id,
            sum(case when account = 'member_available' then amount else 0 end) as available,
            sum(case when account = 'member_pending' then amount else 0 end) as pending
          from ledger_entries where lot_id is not null group by program_id, lot_id
        ) e on e.program_id = l.program_id and e.lot_id = l.id
        where ${scoped('l')}
          and (l.remaining <> coalesce(e.available, 0) + coalesce(e.pending, 0)
            or (l.released_at is null and coalesce(e.available, 0) <> 0)
            or (l.released_at is not null and coalesce(e.pending, 0) <> 0)
            or l.remaining < 0 or l.remaining > l.amount)`,
    (r) =>
      `lot ${String(r.id)} holds ${String(r.remaining)} (${r.released_at === null ? 'pending' : 'released'}), ` +
      `ledger says available ${String(r.ledger_available)} / pending ${String(r.ledger_pending)}`,
  );
  await run(
    'member entries name a lot of that member',
    sql`select e.transaction_id, e.line from ledger_entries e
        where ${scoped('e')}
          and e.account in ('member_available', 'member_pending')
          and not exists (select 1 from lots l where l.program_id = e.program_id and l.id = e.lot_id and l.member_id = e.member_id)`,
    (r) => `entry ${String(r.transaction_id)}#${String(r.line)} names no lot of its member`,
  );
  // Rewards: a redemption's points are on the ledger (spent to `redeemed`, and given back exactly once when it
  // ended), its coupon's state agrees with it, and a reward counts the redemptions that stand and the coupons
  // referrals gave that stand (not cancelled).
  await run(
    "a redemption's points are on the ledger, and given back once if it ended",
    sql`select r.program_id, r.id, r.points, r.status, coalesce(s.amount, 0) as spent, coalesce(b.amount, 0) as returned
        from redemptions r
        left join (select program_id, transaction_id, sum(amount) as amount from ledger_entries where account = 'redeemed'
                   group by program_id, transaction_id) s on s.program_id = r.program_id and s.transaction_id = r.transaction_id
        left join (select program_id, transaction_id, sum(amount) as amount from ledger_entries where account = 'redeemed'
                   group by program_id, transaction_id) b on b.program_id = r.program_id and b.transaction_id = r.return_transaction_id
        where ${scoped('r')}
          and (coalesce(s.amount, 0) <> r.points
            or (r.status = 'completed' and r.return_transaction_id is not null)
            or (r.status <> 'completed' and coalesce(b.amount, 0) <> -r.points))`,
    (r) => `redemption ${String(r.id)} (${String(r.status)}) of ${String(r.points)} points: ledger spent ${String(r.spent)}, returned ${String(-Number(r.returned))}`,
  );
  await run(
    "a redemption's coupon agrees with it",
    sql`select r.program_id, r.id, r.status, c.status as coupon_status from redemptions r
        left join coupons c on c.program_id = r.program_id and c.code = r.coupon_code
        where ${scoped('r')}
          and (c.code is null or c.redemption_id <> r.id
            or (r.status = 'cancelled' and c.status <> 'cancelled')
            or (r.status = 'refunded' and c.status <> 'expired')
            or (r.status = 'completed' and c.status = 'cancelled'))`,
    (r) => `redemption ${String(r.id)} is ${String(r.status)} but its coupon is ${String(r.coupon_status ?? 'missing')}`,
  );
  await run(
    'a reward counts the redemptions that stand',
    sql`select w.program_id, w.id, w.redeemed_count, coalesce(r.n, 0) + coalesce(c.n, 0) as standing from rewards w
        left join (select program_id, reward_id, count(*) as n from redemptions where status = 'completed'
                   group by program_id, reward_id) r on r.program_id = w.program_id and r.reward_id = w.id
        left join (select program_id, reward_id, count(*) as n from coupons where referral_id is not null and status <> 'cancelled'
                   group by program_id, reward_id) c on c.program_id = w.program_id and c.reward_id = w.id
        where ${scoped('w')}
          and w.redeemed_count <> coalesce(r.n, 0) + coalesce(c.n, 0)`,
    (r) => `reward ${String(r.id)} shows ${String(r.redeemed_count)} redemptions, ${String(r.standing)} stand`,
  );
  return violations;
}
