/**
 * Starts the real server (`trouw serve`) in a child process, so the load generator does not share its event
 * loop: on 2 cores they still share the CPU, which LIMITS.md's HTTP figures include too.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { appEnv, cliCommand, REPO_ROOT, type Target } from './targets.js';
import { trackChild } from './guard.js';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** Asks the kernel for a free port on 127.0.0.1. (Another process could take it before the server; unlikely.) */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startServer(target: Target): Promise<RunningServer> {
  const port = await freePort();
  const cli = cliCommand(['serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', target.dataDir]);
  const child = spawn(cli.command, cli.args, { cwd: REPO_ROOT, env: appEnv(target), stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  // Keep the tail of the output for error messages; reading it also keeps the pipes from filling and
  // blocking the server.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const early = await Promise.race([exited, sleep(100).then(() => undefined)]);
    if (early !== undefined) throw new Error(`trouw serve exited (${String(early)}) before it was ready:\n${output}`);
    if (await healthy(url)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`trouw serve was not ready after ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
  }

  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
