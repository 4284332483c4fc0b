/**
 * A real `trouw serve --demo` on loopback for the browser tests: its own data directory (the embedded database,
 * the demo programme seeded on first start), a free port, and the demo's credentials read from the data
 * directory's demo.json and the owner's login and a member portal link from the first-start output, as a person
 * following the README would find them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface RunningTrouw {
  baseUrl: string;
  dataDir: string;
  demo: { programId: string; name: string; apiKey: string } & Record<string, unknown>;
  /** The demo owner's dashboard login, printed once on the first start (never written to disk). */
  owner: { email: string; password: string };
  /** The member portal link printed for demo-customer-1: its slug and member token. */
  portal: { slug: string; token: string };
  /** A fresh member token from `trouw portal token`, as the shop's backend would sign one. */
  memberToken(externalId: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

/** The first-start banner: "Admin dashboard:" followed by the e-mail and password lines, then the portal link. */
export function parseFirstStart(output: string): { owner: RunningTrouw['owner']; portal: RunningTrouw['portal'] } {
  const dashboard = output.indexOf('Admin dashboard:');
  if (dashboard < 0) throw new Error(`no "Admin dashboard:" line in the output of trouw serve:\n${output}`);
  const after = output.slice(dashboard);
  const email = /^\s*e-mail:\s*(\S+)/m.exec(after)?.[1];
  const password = /^\s*password:\s*(\S+)/m.exec(after)?.[1];
  const link = /\/p\/([^/#\s]+)#token=([\w.-]+)/.exec(after);
  if (!email || !password || !link) throw new Error(`the owner's login or the portal link is missing from:\n${after}`);
  return { owner: { email, password }, portal: { slug: link[1]!, token: link[2]! } };
}

const execFileAsync = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startTrouw(): Promise<RunningTrouw> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trouw-e2e-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', TROUW_JOB_INTERVAL_MS: '200' };
  delete env.DATABASE_URL;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.resolve('src/cli/main.ts'), 'serve', '--demo', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`trouw serve exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`trouw serve did not answer within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo.json'), 'utf8')) as RunningTrouw['demo'];
  // The banner is printed just after the server starts listening; /health can answer a moment before it.
  while (!output.includes('Member portal of')) {
    if (Date.now() > deadline) throw new Error(`trouw serve printed no first-start banner:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { owner, portal } = parseFirstStart(output);
  const memberToken = async (externalId: string) => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', path.resolve('src/cli/main.ts'), 'portal', 'token', '--program', demo.programId, '--member', externalId, '--json', '--data-dir', dataDir],
      { env },
    );
    return (JSON.parse(stdout) as { token: string }).token;
  };
  return {
    baseUrl,
    dataDir,
    demo,
    owner,
    portal,
    memberToken,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
