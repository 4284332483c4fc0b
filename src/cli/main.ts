/**
 * `trouw`: serve the API, migrate, create programmes, seed the demo, verify the ledger, run the jobs.
 * Every command takes --data-dir and honours DATABASE_URL, like serve. Commands parse flags, build a context,
 * call services and print; they hold no logic of their own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import pino from 'pino';
import { readConfig, type Config } from '../config.js';
import { createContext, type ServiceContext } from '../context.js';
import { buildApp } from '../http/app.js';
import { defaultWorkerId, runAllJobs, startJobRunner, type JobRunner } from '../jobs/runner.js';
import { apiScopes } from '../domain/scopes.js';
import { createApiKey } from '../services/api-keys.service.js';
import { createProgram, listPrograms } from '../services/programs.service.js';
import { migrateToLatest } from '../storage/db.js';
import { indexMemberNames } from '../services/member-search.js';
import { verifyLedger } from '../storage/verify.js';
import { createUser } from '../services/team/accounts.js';
import { teamRoles } from '../domain/roles.js';
import { createDemoOwner, seedDemo } from './demo.js';
import { registerPortalCommands } from './portal.command.js';
import { issueDemoPortalLink } from '../services/portal/portal-settings.service.js';

interface CommonOptions {
  dataDir?: string;
}

function configFrom(options: CommonOptions): Config {
  const config = readConfig();
  if (options.dataDir) config.dataDir = path.resolve(options.dataDir);
  return config;
}

/** Brings the database to the latest schema, with the data steps a migration cannot do without the key. */
async function migrateDatabase(ctx: ServiceContext): Promise<void> {
  const applied = await migrateToLatest(ctx.storage);
  if (applied.includes('0013-member-name-search')) {
    const indexed = await indexMemberNames(ctx);
    if (indexed > 0) ctx.logger.info({ members: indexed }, 'made existing members findable by name');
  }
}

/** Builds a context on a migrated database, runs `fn`, and always closes the database. */
async function withContext<T>(options: CommonOptions, fn: (ctx: ServiceContext, config: Config) => Promise<T>, quiet = true): Promise<T> {
  const config = configFrom(options);
  const logger = pino({ level: quiet ? 'warn' : config.logLevel });
  const ctx = createContext({ config, logger });
  try {
    await migrateDatabase(ctx);
    return await fn(ctx, config);
  } finally {
    await ctx.storage.close();
  }
}

const dataDirOption = () => new Option('--data-dir <dir>', 'where the embedded database lives (env TROUW_DATA_DIR)');

/** Demo credentials are kept beside the embedded database so `npm start` can show them again. */
function demoFile(config: Config): string {
  return path.join(config.dataDir, 'demo.json');
}

/**
 * Stops cleanly on SIGINT or SIGTERM: finishes the work in progress, closes, exits 0. The listeners stay for
 * the whole shutdown, so a repeated signal (a supervisor that sends SIGTERM twice, a second Ctrl-C) waits for the
 * same clean stop instead of killing the process half-way.
 */
function onStopSignal(close: () => Promise<void>): void {
  let stopping: Promise<void> | null = null;
  const stop = (signal: NodeJS.Signals) => {
    // Written synchronously: process.exit would drop a line still queued for a pipe.
    if (stopping === null) fs.writeSync(1, `${signal} received: stopping after the work in progress\n`);
    stopping ??= close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`trouw: stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const program = new Command('trouw').description('Trouw: loyalty and referral platform').showHelpAfterError();

program
  .command('serve')
  .description('serve the API (and the docs at /docs), running the job runner in-process unless TROUW_JOBS=off')
  .addOption(new Option('--port <port>', 'port (env PORT)').argParser(Number))
  .addOption(new Option('--host <host>', 'interface to listen on (env HOST; 0.0.0.0 for all)'))
  .addOption(dataDirOption())
  .option('--demo', 'seed the demo programme on first start (embedded database only) and print its API key')
  .action(async (options: CommonOptions & { port?: number; host?: string; demo?: boolean }) => {
    const config = configFrom(options);
    const port = options.port ?? config.port;
    const host = options.host ?? config.host;
    const ctx = createContext({ config, backgroundCheckpoint: true });
    await migrateDatabase(ctx);
    let demo: { programId: string; name: string; apiKey: string; ownerEmail?: string } | null = null;
    // The owner's password is printed on the first start only and never written down: demo.json keeps the rest.
    let ownerLogin: { email: string; password: string } | null = null;
    if (options.demo && ctx.storage.dialect === 'sqlite') {
      const file = demoFile(config);
      if (fs.existsSync(file)) {
        demo = JSON.parse(fs.readFileSync(file, 'utf8')) as { programId: string; name: string; apiKey: string; ownerEmail?: string };
      } else if ((await listPrograms(ctx)).length === 0) {
        ctx.logger.info('seeding the demo programme (first start)…');
        const seeded = await seedDemo(ctx);
        ownerLogin = await createDemoOwner(ctx, seeded.programId);
        demo = { programId: seeded.programId, name: seeded.name, apiKey: seeded.apiKey, ownerEmail: ownerLogin.email };
        fs.writeFileSync(file, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
      }
    }
    const app = await buildApp(ctx, { logRequests: process.env.LOG_REQUESTS === '1' });
    const jobs = config.jobsInProcess ? startJobRunner(ctx, { tickMs: config.jobIntervalMs }) : null;
    await app.listen({ port, host });
    const base = `http://localhost:${port}`;
    const lines = [``, `Trouw is running on ${base}   (API docs: ${base}/docs, database: ${ctx.storage.location})`];
    if (demo) {
      lines.push(
        ``,
        `Demo programme "${demo.name}" (${demo.programId})`,
        `  secret API key: ${demo.apiKey}`,
        `  try it:`,
        `    curl -s -H "Authorization: Bearer ${demo.apiKey}" "${base}/v1/members?limit=2"`,
        `    curl -s -X POST ${base}/v1/events -H "Authorization: Bearer ${demo.apiKey}" -H "Content-Type: application/json" \\`,
        `      -d '{"id":"try-1","type":"purchase","externalId":"demo-customer-1","data":{"orderId":"try-order-1","total":2599,"currency":"EUR"}}'`,
      );
      if (ownerLogin) {
        lines.push(``, `Admin dashboard: ${base}/admin/`, `  e-mail:   ${ownerLogin.email}`, `  password: ${ownerLogin.password}   (shown once; change it after logging in)`);
      } else if (demo.ownerEmail) {
        lines.push(``, `Admin dashboard: ${base}/admin/  (log in as ${demo.ownerEmail}; the password was shown on the first start)`);
      }
      // A fresh member token on every start: tokens live at most an hour.
      const portal = await issueDemoPortalLink(ctx, demo.programId, 'demo-customer-1', base);
      lines.push(``, `Member portal of demo-customer-1 (link valid for an hour; \`trouw portal token\` makes more):`, `  ${portal}`);
    }
    console.log(lines.join('\n') + '\n');
    onStopSignal(async () => {
      await app.close();
      await jobs?.stop();
      await ctx.storage.close();
    });
  });

program
  .command('migrate')
  .description('bring the database schema up to date')
  .addOption(dataDirOption())
  .action(async (options: CommonOptions) => {
    await withContext(options, async (ctx) => {
      console.log(`database schema is up to date (${ctx.storage.location})`);
    });
  });

const programCommand = program.command('program').description('programmes');
programCommand
  .command('create')
  .description('create a programme with a base earn rule and print a new secret API key (shown once)')
  .requiredOption('--name <name>', 'the programme name')
  .option('--points-name <name>', 'what the points are called', 'Points')
  .option('--currency <code>', 'ISO 4217 currency', 'EUR')
  .option('--timezone <zone>', 'IANA timezone', 'Europe/Amsterdam')
  .addOption(new Option('--pending-days <days>', 'days purchase points stay pending (the return window)').argParser(Number))
  .addOption(new Option('--expiry-months <months>', 'months after which points expire').argParser(Number))
  .option('--json', 'print {"program":{…},"apiKey":"sk_…"}')
  .addOption(dataDirOption())
  .action(async (options: CommonOptions & { name: string; pointsName: string; currency: string; timezone: string; pendingDays?: number; expiryMonths?: number; json?: boolean }) => {
    await withContext(options, async (ctx) => {
      const created = await createProgram(ctx, {
        name: options.name,
        pointsName: options.pointsName,
        currency: options.currency,
        timezone: options.timezone,
        pendingDays: options.pendingDays,
        expiryMonths: options.expiryMonths,
      });
      if (options.json) {
        console.log(JSON.stringify(created));
      } else {
        console.log(`programme ${created.program.id} "${created.program.name}" created`);
        console.log(`secret API key (shown once, keep it safe): ${created.apiKey}`);
      }
    });
  });

const keyCommand = program.command('key').description('secret API keys');
keyCommand
  .command('create')
  .description('create another secret API key for a programme and print it once')
  .requiredOption('--program <id>', 'the programme')
  .option('--name <name>', 'what the key is for', 'cli')
  .option('--scopes <list>', `comma-separated: * or ${apiScopes.join(', ')}`, '*')
  .addOption(dataDirOption())
  .action(async (options: CommonOptions & { program: string; name: string; scopes: string }) => {
    const key = await withContext(options, (ctx) => createApiKey(ctx, options.program, options.name, options.scopes.split(',').map((s) => s.trim())));
    console.log(`secret API key (shown once, keep it safe): ${key}`);
  });

const userCommand = program.command('user').description('team users of the admin dashboard');
userCommand
  .command('create')
  .description('give someone a role in a programme, creating their user; prints a generated password once')
  .requiredOption('--program <id>', 'the programme')
  .requiredOption('--email <address>', "the user's e-mail address (their login)")
  .addOption(new Option('--role <role>', 'their role in the programme').choices([...teamRoles]).makeOptionMandatory())
  .option('--name <name>', 'how the dashboard names them (default: the start of the address)')
  .option('--password <password>', 'their password (at least 12 characters); without it one is generated and printed once')
  .option('--json', 'print {"member":{…},"temporaryPassword":"…"|null}')
  .addOption(dataDirOption())
  .action(async (options: CommonOptions & { program: string; email: string; role: string; name?: string; password?: string; json?: boolean }) => {
    const created = await withContext(options, (ctx) =>
      createUser(ctx, { programId: options.program, email: options.email, role: options.role, name: options.name, password: options.password }),
    );
    if (options.json) {
      console.log(JSON.stringify(created));
      return;
    }
    const { member, temporaryPassword } = created;
    console.log(`user ${member.userId} (${member.email}) is now ${member.role} of ${options.program}`);
    if (temporaryPassword !== null) console.log(`password (shown once, keep it safe): ${temporaryPassword}`);
  });

program
  .command('demo')
  .description('seed a demo programme with simulated members and a year of events')
  .addOption(new Option('--members <n>', 'how many members').argParser(Number))
  .addOption(dataDirOption())
  .action(async (options: CommonOptions & { members?: number }) => {
    await withContext(options, async (ctx) => {
      const demo = await seedDemo(ctx, { members: options.members });
      console.log(`demo programme ${demo.programId} "${demo.name}": ${demo.members} members, ${demo.events} events`);
      console.log(`secret API key (shown once): ${demo.apiKey}`);
    });
  });

program
  .command('verify')
  .description('check the ledger invariants on the live database; exits 1 naming what is wrong')
  .option('--program <id>', 'only this programme')
  .addOption(dataDirOption())
  .action(async (options: CommonOptions & { program?: string }) => {
    const violations = await withContext(options, (ctx) => verifyLedger(ctx.storage, options.program));
    if (violations.length === 0) {
      console.log('ledger OK: every invariant holds');
      return;
    }
    for (const v of violations) console.error(`FAIL ${v.invariant}: ${v.detail}`);
    console.error(`${violations.length} violation(s)`);
    process.exitCode = 1;
  });

program
  .command('worker')
  .description('run the job runner alone (beside `trouw serve` with TROUW_JOBS=off, or several on PostgreSQL)')
  .addOption(dataDirOption())
  .option('--id <name>', 'worker id, shown in leases and logs', defaultWorkerId())
  .action(async (options: CommonOptions & { id: string }) => {
    const config = configFrom(options);
    const ctx = createContext({ config, backgroundCheckpoint: true });
    await migrateDatabase(ctx);
    // Ready to stop before starting work: a signal during the first tick waits for it, then exits cleanly.
    let runner: JobRunner | null = null;
    onStopSignal(async () => {
      await runner?.stop();
      await ctx.storage.close();
    });
    runner = startJobRunner(ctx, { workerId: options.id, tickMs: config.jobIntervalMs, keepAlive: true });
    console.log(`worker ${options.id} running the jobs (database: ${ctx.storage.location}); stop it with SIGINT or SIGTERM`);
  });

registerPortalCommands(program, withContext, dataDirOption);

const jobsCommand = program.command('jobs').description('scheduled work');
jobsCommand
  .command('run')
  .description('run every job once, to completion, and print what each did as JSON')
  .addOption(dataDirOption())
  .action(async (options: CommonOptions) => {
    const result = await withContext(options, (ctx) => runAllJobs(ctx));
    console.log(JSON.stringify(result));
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`trouw: ${message}`);
  process.exit(1);
});
