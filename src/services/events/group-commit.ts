/**
 * Group commit for single events: requests that arrive while a group is being written wait for the next
 * group, which then records all of them in one transaction (LIMITS.md: one transaction per event cannot pass
 * about 1,800 events/s here). Nobody waits for a timer: an idle system writes a group of one at once, and a
 * busy one groups exactly what queued meanwhile. Each caller is answered after its group committed, so a 2xx
 * still means committed. If a group fails as a whole (a constraint hit by a concurrent writer elsewhere), its
 * events are retried one by one, so one event's trouble never becomes another's.
 *
 * Each event is recorded with its caller's own context (clock, ids, logger), not the first caller's. A group with
 * several programmes records them in programme id order, so two groups written at once on PostgreSQL lock in the
 * one global order (programme, then member id) and never deadlock each other.
 */
import type { ServiceContext } from '../../context.js';
import type { Storage } from '../../storage/db.js';
import { inTransaction, isUniqueViolation } from '../../storage/transaction.js';
import { ingestEvents, type EventOutcome, type IngestOutcome, type RecordEventInput } from './ingest.js';

interface Waiting {
  ctx: ServiceContext;
  programId: string;
  input: RecordEventInput;
  resolve(outcome: EventOutcome): void;
  reject(error: unknown): void;
}

const MAX_GROUP = 500;

class GroupCommitter {
  private queue: Waiting[] = [];
  private writing = 0;
  private scheduled = false;

  constructor(
    private readonly storage: Storage,
    /** SQLite has one writer; PostgreSQL writes a few groups at once (they lock members in id order). */
    private readonly maxConcurrentGroups: number,
  ) {}

  submit(ctx: ServiceContext, programId: string, input: RecordEventInput): Promise<EventOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ctx, programId, input, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Starts writing after the current turn of the event loop, never inside it. better-sqlite3 answers
   * synchronously, so a group started at once would run to its commit in microtasks before the server reads the
   * next request that already arrived: every group would hold one event. setImmediate lets every request the
   * loop has in hand join first.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.writing < this.maxConcurrentGroups && this.queue.length > 0) {
      const group = this.queue.splice(0, MAX_GROUP);
      this.writing += 1;
      void this.write(group).finally(() => {
        this.writing -= 1;
        this.schedule();
      });
    }
  }

  private async write(group: Waiting[]): Promise<void> {
    let outcomes: Map<Waiting, IngestOutcome>;
    try {
      outcomes = await this.ingest(group);
    } catch (error) {
      if (group.length === 1) {
        await this.writeAlone(group[0] as Waiting, error);
        return;
      }
      for (const waiting of group) await this.writeAlone(waiting, error);
      return;
    }
    for (const waiting of group) settle(waiting, outcomes.get(waiting));
  }

  /** One event in its own transaction; a unique-key race is run again, which then replays or refuses. */
  private async writeAlone(waiting: Waiting, cause: unknown): Promise<void> {
    let last = cause;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0 && !isUniqueViolation(last)) break;
      try {
        settle(waiting, (await this.ingest([waiting])).get(waiting));
        return;
      } catch (error) {
        last = error;
      }
    }
    waiting.reject(last);
  }

  private ingest(group: Waiting[]): Promise<Map<Waiting, IngestOutcome>> {
    return inTransaction(this.storage, async (trx) => {
      const outcomes = new Map<Waiting, IngestOutcome>();
      // Programmes in id order (the lock order); within one, a sub-group per caller context, in arrival order.
      const byProgram = new Map<string, Map<ServiceContext, Waiting[]>>();
      for (const waiting of group) {
        const byContext = byProgram.get(waiting.programId) ?? new Map<ServiceContext, Waiting[]>();
        byContext.set(waiting.ctx, [...(byContext.get(waiting.ctx) ?? []), waiting]);
        byProgram.set(waiting.programId, byContext);
      }
      for (const programId of [...byProgram.keys()].sort()) {
        for (const [ctx, waitings] of byProgram.get(programId) ?? []) {
          const results = await ingestEvents(ctx, trx, programId, waitings.map((w) => w.input));
          waitings.forEach((w, i) => outcomes.set(w, results[i] as IngestOutcome));
        }
      }
      return outcomes;
    });
  }
}

function settle(waiting: Waiting, outcome: IngestOutcome | undefined): void {
  if (!outcome) waiting.reject(new Error('no outcome for a grouped event'));
  else if (outcome.ok) waiting.resolve(outcome.outcome);
  else waiting.reject(outcome.error);
}

const committers = new WeakMap<Storage, GroupCommitter>();

/** Records one event through its storage's group committer. @throws DomainError as `ingestEvents` reports */
export function submitEvent(ctx: ServiceContext, programId: string, input: RecordEventInput): Promise<EventOutcome> {
  let committer = committers.get(ctx.storage);
  if (!committer) {
    committer = new GroupCommitter(ctx.storage, ctx.storage.dialect === 'sqlite' ? 1 : 4);
    committers.set(ctx.storage, committer);
  }
  return committer.submit(ctx, programId, input);
}

