/**
 * The hand-written baseline: the rows recordEvent writes for a purchase on the base rule, in plain SQL, without
 * Kysely, the service or HTTP. Per event, in one transaction: read the member (locking it on PostgreSQL) and
 * look up the event id, then insert the event, the order, the lot, the ledger transaction and its two entries,
 * the points.earned outbox message and the month's activity count (for tiers), and update the member's
 * balance, lifetime points and purchase count. It computes what any implementation
 * must (time-ordered ids, the request hash, the stored response), so the gap to the service is the cost of
 * our layers, not of work the baseline skipped. It does not re-read the programme or the order as the service
 * does; those are part of the gap.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { typeIds } from '../src/context.js';
import { nextPurchase, PURCHASE_TOTAL_MINOR, type PurchaseEvent } from './lib/events.js';
import type { Limits, ThroughputRun } from './lib/in-process.js';
import type { Target } from './lib/targets.js';

interface BaseRule {
  id: string;
  version: number;
}

/** Everything an event's rows hold beyond the member: ids, points, hash and the stored response. */
function postingValues(purchase: PurchaseEvent, memberId: string, balance: number, now: number) {
  // The base rule: 1 point per whole euro spent.
  const points = Math.floor(PURCHASE_TOTAL_MINOR / 100);
  const data = JSON.stringify(purchase.data);
  const requestHash = crypto.createHash('sha256').update(JSON.stringify({ type: purchase.type, externalId: purchase.externalId, data: purchase.data })).digest('base64url');
  const at = new Date(now).toISOString();
  const response = JSON.stringify({
    event: { id: purchase.id, type: purchase.type, memberId, occurredAt: at, receivedAt: at, data: purchase.data },
    awarded: [{ points, status: 'available' }],
    balance: { available: balance + points, pending: 0 },
  });
  const message = JSON.stringify({
    memberId,
    eventId: purchase.id,
    eventType: purchase.type,
    points,
    status: 'available',
    awarded: [{ points, status: 'available' }],
    balance: { available: balance + points, pending: 0 },
  });
  const month = at.slice(0, 7);
  return { points, data, requestHash, response, message, month, messageId: typeIds.next('msg'), lotId: typeIds.next('lot'), transactionId: typeIds.next('ltx') };
}

const SQL = {
  selectMember: 'select id, available from members where program_id = $1 and external_id = $2',
  selectEvent: 'select request_hash from events where program_id = $1 and client_event_id = $2',
  insertEvent: `insert into events (program_id, client_event_id, type, member_id, occurred_at, received_at, data, request_hash, response)
                values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  insertOrder: `insert into orders (program_id, order_id, member_id, event_id, lot_id, total_minor, currency, refunded_minor,
                  points_earned, points_clawed_back, points_unrecovered, created_at)
                values ($1, $2, $3, $4, $5, $6, $7, 0, $8, 0, 0, $9)`,
  insertLot: `insert into lots (program_id, id, member_id, transaction_id, amount, remaining, available_at, released_at, expires_at, created_at)
              values ($1, $2, $3, $4, $5, $5, $6, $6, null, $6)`,
  insertTransaction: `insert into ledger_transactions (program_id, id, member_id, kind, reason, event_id, created_at)
                      values ($1, $2, $3, 'earn', $4, $5, $6)`,
  insertMessage: `insert into outbox_messages (program_id, id, type, member_id, data, created_at, dispatched_at)
                  values ($1, $2, 'points.earned', $3, $4, $5, null)`,
  addActivity: `insert into tier_metric_months (program_id, member_id, month, points_earned, spend_minor, purchases)
                values ($1, $2, $3, $4, $5, 1)
                on conflict (program_id, member_id, month) do update set points_earned = tier_metric_months.points_earned + excluded.points_earned,
                  spend_minor = tier_metric_months.spend_minor + excluded.spend_minor, purchases = tier_metric_months.purchases + 1`,
  updateMember: `update members set available = available + $1, lifetime_earned = lifetime_earned + $1,
                   purchase_count = purchase_count + 1, updated_at = $2
                 where program_id = $3 and id = $4`,
};

const ENTRY_COLUMNS = '(program_id, transaction_id, line, account, member_id, lot_id, rule_id, rule_version, amount, created_at)';

// ---------------------------------------------------------------- SQLite (better-sqlite3, prepared statements)

/**
 * Prepares a statement written with PostgreSQL's `$N` parameters. better-sqlite3 treats SQLite's `?NNN` as
 * named parameters (it would want an object), so each `$N` becomes a plain `?` and the arguments are put in
 * that order, repeating those used twice.
 */
function prepareNumbered(db: SQLite.Database, text: string) {
  const order: number[] = [];
  const statement = db.prepare(
    text.replace(/\$(\d+)/g, (_, n: string) => {
      order.push(Number(n) - 1);
      return '?';
    }),
  );
  const bind = (args: unknown[]) => order.map((i) => args[i]);
  return {
    get: (...args: unknown[]) => statement.get(...bind(args)),
    run: (...args: unknown[]) => statement.run(...bind(args)),
  };
}

/** One transaction per event, one caller: better-sqlite3 is synchronous, so this is also the best case. */
export function sqliteBaseline(target: Target, limits: Limits): ThroughputRun {
  const db = new SQLite(path.join(target.dataDir, 'trouw.db'));
  // The app's settings (src/storage/db.ts), so both write to the same kind of file.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  try {
    const prepare = (text: string) => prepareNumbered(db, text);
    const statements = {
      selectMember: prepare(SQL.selectMember),
      selectEvent: prepare(SQL.selectEvent),
      insertEvent: prepare(SQL.insertEvent),
      insertOrder: prepare(SQL.insertOrder),
      insertLot: prepare(SQL.insertLot),
      insertTransaction: prepare(SQL.insertTransaction),
      insertEntry: prepare(`insert into ledger_entries ${ENTRY_COLUMNS} values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`),
      updateMember: prepare(SQL.updateMember),
      insertMessage: prepare(SQL.insertMessage),
      addActivity: prepare(SQL.addActivity),
    };
    const rule = db.prepare('select id, version from rules where program_id = ? and is_current = 1').get(target.programId) as BaseRule;
    const programId = target.programId;

    const post = db.transaction((purchase: PurchaseEvent, now: number) => {
      const member = statements.selectMember.get(programId, purchase.externalId) as { id: string; available: number } | undefined;
      if (!member) throw new Error(`no member ${purchase.externalId}`);
      if (statements.selectEvent.get(programId, purchase.id)) throw new Error(`event ${purchase.id} already recorded`);
      const v = postingValues(purchase, member.id, member.available, now);
      statements.insertLot.run(programId, v.lotId, member.id, v.transactionId, v.points, now);
      statements.insertTransaction.run(programId, v.transactionId, member.id, `purchase event ${purchase.id}`, purchase.id, now);
      statements.insertEntry.run(programId, v.transactionId, 0, 'issuance', null, null, null, null, -v.points, now);
      statements.insertEntry.run(programId, v.transactionId, 1, 'member_available', member.id, v.lotId, rule.id, rule.version, v.points, now);
      statements.updateMember.run(v.points, now, programId, member.id);
      statements.insertOrder.run(programId, purchase.data.orderId, member.id, purchase.id, v.lotId, PURCHASE_TOTAL_MINOR, 'EUR', v.points, now);
      statements.insertEvent.run(programId, purchase.id, purchase.type, member.id, now, now, v.data, v.requestHash, v.response);
      statements.insertMessage.run(programId, v.messageId, member.id, v.message, now);
      statements.addActivity.run(programId, member.id, v.month, v.points, PURCHASE_TOTAL_MINOR);
    });

    const start = performance.now();
    const deadline = start + limits.maxMs;
    let events = 0;
    while (events < limits.maxEvents && performance.now() < deadline) {
      post(nextPurchase('base'), Date.now());
      events += 1;
    }
    return { events, eventsPerSecond: events / ((performance.now() - start) / 1000) };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------- PostgreSQL (pg, one round trip per statement)

/**
 * `clients` connections, each posting one event per transaction in a loop: 10 statements between begin and
 * commit (the SQLite baseline's 11 with the two entries as one multi-row insert), each its own round trip.
 */
export async function pgBaseline(target: Target, clients: number, limits: Limits): Promise<ThroughputRun> {
  if (!target.databaseUrl) throw new Error('pgBaseline needs a PostgreSQL target');
  const connections = await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = new pg.Client({ connectionString: target.databaseUrl ?? undefined });
      await client.connect();
      return client;
    }),
  );
  try {
    const rule = (await connections[0]!.query<BaseRule>('select id, version from rules where program_id = $1 and is_current = 1', [target.programId])).rows[0]!;
    let started = 0;
    let done = 0;
    const start = performance.now();
    const deadline = start + limits.maxMs;
    await Promise.all(
      connections.map(async (client) => {
        while (started < limits.maxEvents && performance.now() < deadline) {
          started += 1;
          await postOnPg(client, target.programId, rule, nextPurchase('base'), Date.now());
          done += 1;
        }
      }),
    );
    return { events: done, eventsPerSecond: done / ((performance.now() - start) / 1000) };
  } finally {
    await Promise.all(connections.map((client) => client.end()));
  }
}

async function postOnPg(client: pg.Client, programId: string, rule: BaseRule, purchase: PurchaseEvent, now: number): Promise<void> {
  await client.query('begin');
  try {
    const member = (await client.query<{ id: string; available: string }>(`${SQL.selectMember} for update`, [programId, purchase.externalId])).rows[0];
    if (!member) throw new Error(`no member ${purchase.externalId}`);
    if ((await client.query(SQL.selectEvent, [programId, purchase.id])).rowCount) throw new Error(`event ${purchase.id} already recorded`);
    const v = postingValues(purchase, member.id, Number(member.available), now);
    await client.query(SQL.insertEvent, [programId, purchase.id, purchase.type, member.id, now, now, v.data, v.requestHash, v.response]);
    await client.query(SQL.insertOrder, [programId, purchase.data.orderId, member.id, purchase.id, v.lotId, PURCHASE_TOTAL_MINOR, 'EUR', v.points, now]);
    await client.query(SQL.insertLot, [programId, v.lotId, member.id, v.transactionId, v.points, now]);
    await client.query(SQL.insertTransaction, [programId, v.transactionId, member.id, `purchase event ${purchase.id}`, purchase.id, now]);
    await client.query(
      `insert into ledger_entries ${ENTRY_COLUMNS} values ($1, $2, 0, 'issuance', null, null, null, null, $3, $4),
                                                          ($1, $2, 1, 'member_available', $5, $6, $7, $8, $9, $4)`,
      [programId, v.transactionId, -v.points, now, member.id, v.lotId, rule.id, rule.version, v.points],
    );
    await client.query(SQL.updateMember, [v.points, now, programId, member.id]);
    await client.query(SQL.insertMessage, [programId, v.messageId, member.id, v.message, now]);
    await client.query(SQL.addActivity, [programId, member.id, v.month, v.points, PURCHASE_TOTAL_MINOR]);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}
