/**
 * The `trouw` command as a user runs it: a real process against the test's database (the SQLite file's
 * directory, or DATABASE_URL on PostgreSQL).
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { authenticateApiKey } from '../../src/services/api-keys.service.js';
import { login } from '../../src/services/team/accounts.js';
import { getBalance } from '../../src/services/members.service.js';
import { givenMember, givenProgram, givenPurchase } from '../support/factories.js';
import { getProgram } from '../../src/services/programs.service.js';
import { listRules } from '../../src/services/rules.service.js';
import { forEachDialect, TEST_ENCRYPTION_KEY } from '../support/dialects.js';

const run = promisify(execFile);
const cli = path.resolve('src/cli/main.ts');

forEachDialect('trouw CLI', (db) => {
  async function trouw(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, TROUW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY.toString('hex'), LOG_LEVEL: 'warn' };
    if (db.databaseUrl) env.DATABASE_URL = db.databaseUrl;
    else delete env.DATABASE_URL;
    const dataDir = db.sqlitePath ? path.dirname(db.sqlitePath) : path.resolve('data-unused');
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args, '--data-dir', dataDir], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  describe('program create', () => {
    it('creates a programme with its base rule and prints the key once as JSON', async () => {
      const result = await trouw('program', 'create', '--name', 'Fietsenwinkel', '--points-name', 'Spaken', '--currency', 'EUR', '--json');
      expect(result.code).toBe(0);
      const created = JSON.parse(result.stdout) as { program: { id: string }; apiKey: string };
      expect(created.apiKey).toMatch(/^sk_[a-z0-9]{8}[A-Za-z0-9_-]{32}$/);
      const program = await getProgram(db.ctx, created.program.id);
      expect(program).toMatchObject({ name: 'Fietsenwinkel', pointsName: 'Spaken', currency: 'EUR', timezone: 'Europe/Amsterdam' });
      const rules = (await listRules(db.ctx, created.program.id)).data;
      expect(rules).toHaveLength(1);
      expect(rules[0]).toMatchObject({ trigger: 'purchase', effects: [{ type: 'points', amount: 1, perSpend: 100 }] });
      // Only the prefix of the key is kept readable; the secret part is nowhere in the table.
      const stored = await sql<Record<string, unknown>>`select * from api_keys where program_id = ${created.program.id}`.execute(db.ctx.storage.db.withoutPlugins());
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0]?.prefix).toBe(created.apiKey.slice(0, 11));
      expect(JSON.stringify(stored.rows)).not.toContain(created.apiKey.slice(11));
    });

    it('refuses an unknown currency with a clear message and a non-zero exit', async () => {
      const result = await trouw('program', 'create', '--name', 'X', '--currency', 'ABC');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('ABC is not an ISO 4217 currency code');
    });
  });

  describe('key create', () => {
    it('adds a key with only the scopes asked for, and refuses unknown scopes', async () => {
      const created = JSON.parse((await trouw('program', 'create', '--name', 'Keys', '--json')).stdout) as { program: { id: string } };
      const result = await trouw('key', 'create', '--program', created.program.id, '--scopes', 'members:read,events:write');
      expect(result.code).toBe(0);
      const key = /sk_\S+/.exec(result.stdout)?.[0] ?? '';
      const principal = await authenticateApiKey(db.ctx, key);
      expect(principal).toMatchObject({ programId: created.program.id, scopes: ['members:read', 'events:write'] });
      const refused = await trouw('key', 'create', '--program', created.program.id, '--scopes', 'members:read,launch:rockets');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('launch:rockets is not one');
    });
  });

  describe('user create', () => {
    it('creates an owner with a generated password printed once, who can then log in', async () => {
      const created = JSON.parse((await trouw('program', 'create', '--name', 'Team', '--json')).stdout) as { program: { id: string } };
      const result = await trouw('user', 'create', '--program', created.program.id, '--email', 'Eigenaar@Koffie.nl', '--role', 'owner');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('eigenaar@koffie.nl) is now owner of');
      const password = /shown once, keep it safe\): (\S+)/.exec(result.stdout)?.[1] ?? '';
      expect(password.length).toBeGreaterThanOrEqual(12);
      const { session } = await login(db.ctx, 'eigenaar@koffie.nl', password);
      expect(session.programs).toEqual([{ id: created.program.id, name: 'Team', role: 'owner' }]);
    });

    it('takes a chosen password, prints JSON, and refuses a weak password or an unknown role', async () => {
      const created = JSON.parse((await trouw('program', 'create', '--name', 'Team', '--json')).stdout) as { program: { id: string } };
      const result = await trouw('user', 'create', '--program', created.program.id, '--email', 'a@koffie.nl', '--role', 'analyst', '--name', 'Anna', '--password', 'stroopwafel-fiets-2026', '--json');
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ member: { email: 'a@koffie.nl', name: 'Anna', role: 'analyst' }, temporaryPassword: null });
      expect((await login(db.ctx, 'a@koffie.nl', 'stroopwafel-fiets-2026')).session.user.name).toBe('Anna');
      const weak = await trouw('user', 'create', '--program', created.program.id, '--email', 'b@koffie.nl', '--role', 'owner', '--password', 'short');
      expect(weak.code).toBe(1);
      expect(weak.stderr).toContain('at least 12 characters');
      const role = await trouw('user', 'create', '--program', created.program.id, '--email', 'b@koffie.nl', '--role', 'admin');
      expect(role.code).toBe(1);
      expect(role.stderr).toContain('admin');
    });
  });

  describe('verify', () => {
    it('passes on a healthy ledger and fails, naming the damage, on a tampered one', async () => {
      await trouw('program', 'create', '--name', 'Ledger');
      await trouw('demo', '--members', '5');
      const healthy = await trouw('verify');
      expect(healthy).toMatchObject({ code: 0 });
      expect(healthy.stdout).toContain('ledger OK');
      await sql`update ledger_entries set amount = amount + 1 where line = 1 and transaction_id = (select min(transaction_id) from ledger_entries)`.execute(db.ctx.storage.db.withoutPlugins());
      const broken = await trouw('verify');
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('FAIL every ledger transaction sums to zero');
      await sql`update ledger_entries set amount = amount - 1 where line = 1 and transaction_id = (select min(transaction_id) from ledger_entries)`.execute(db.ctx.storage.db.withoutPlugins());
    });
  });

  describe('jobs', () => {
    // The test's clock stands in March 2026; the CLI runs on the real clock, later, so these lots are due.
    async function givenDuePendingPoints() {
      const { programId } = await givenProgram(db.ctx, { pendingDays: 1 });
      const member = await givenMember(db.ctx, programId);
      await givenPurchase(db.ctx, programId, member.id, 4200);
      return { programId, memberId: member.id };
    }

    it('`jobs run` runs every job once and prints what each did as JSON', async () => {
      const { programId, memberId } = await givenDuePendingPoints();
      const result = await trouw('jobs', 'run');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as Record<string, Record<string, number>>;
      expect(report['release-pending-points']).toEqual({ lots: 1, points: 42 });
      expect(await getBalance(db.ctx, programId, memberId)).toMatchObject({ available: 42, pending: 0 });
    });

    it('`worker` runs the jobs until it is stopped, then exits cleanly', async () => {
      const { programId, memberId } = await givenDuePendingPoints();
      const env: NodeJS.ProcessEnv = { ...process.env, TROUW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY.toString('hex'), LOG_LEVEL: 'warn', TROUW_JOB_INTERVAL_MS: '100' };
      if (db.databaseUrl) env.DATABASE_URL = db.databaseUrl;
      else delete env.DATABASE_URL;
      const dataDir = db.sqlitePath ? path.dirname(db.sqlitePath) : path.resolve('data-unused');
      const worker = spawn(process.execPath, ['--import', 'tsx', cli, 'worker', '--id', 'cli-test', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
      try {
        await expect.poll(() => output, { timeout: 20_000, interval: 100 }).toContain('worker cli-test running the jobs');
        await expect.poll(async () => (await getBalance(db.ctx, programId, memberId)).available, { timeout: 20_000, interval: 200 }).toBe(42);
        // It keeps running between ticks (with nothing due, nothing else would keep the process alive).
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(worker.exitCode).toBeNull();
      } finally {
        worker.kill('SIGTERM');
      }
      expect({ ...(await exited), output }).toEqual({ code: 0, signal: null, output: expect.stringContaining('SIGTERM received: stopping') });
    });
  });
});
