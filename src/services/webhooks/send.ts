/**
 * One HTTP attempt of a webhook: POST the body, wait at most `timeoutMs` for the whole exchange, read at most a
 * little of the answer, follow no redirect. Never throws: every way an attempt can go is an `AttemptResult` for
 * the log. Called outside any database transaction.
 *
 * node:http/https rather than fetch, because only `request` lets us pass our own `lookup` (address-guard.ts):
 * the address we check is the address the socket connects to. A fresh connection per attempt (`agent: false`)
 * keeps that true; a pooled keep-alive socket would have been checked for an earlier attempt only.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Policy } from '../../context.js';
import { guardedLookup, literalRefusal } from './address-guard.js';

export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** How much of a response body is kept in the attempt log. */
const EXCERPT_CHARS = 1_000;
/** How much of a response body is read at all; the rest is dropped with the connection. */
const READ_LIMIT_BYTES = 16 * 1024;

export function sendWebhook(policy: Policy, request: WebhookRequest): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(request.url);
  const refusal = literalRefusal(policy, url);
  if (refusal !== null) return Promise.resolve({ statusCode: null, error: `address refused: ${refusal}`, responseExcerpt: null, durationMs: 0 });

  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<AttemptResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
      agent: false,
      ...(policy.allowPrivateWebhookUrls ? {} : { lookup: guardedLookup }),
    });
    const timer = setTimeout(() => {
      finish({ statusCode: null, error: `timed out after ${request.timeoutMs} ms`, responseExcerpt: null });
      req.destroy();
    }, request.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish({ statusCode: null, error: error.message || error.code || 'connection failed', responseExcerpt: null });
    });
    req.on('response', (response) => {
      const statusCode = response.statusCode ?? null;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const text = Buffer.concat(chunks).toString('utf8');
        finish({ statusCode, error: null, responseExcerpt: text.length === 0 ? null : text.slice(0, EXCERPT_CHARS) });
        response.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        if (size < READ_LIMIT_BYTES) chunks.push(chunk);
        size += chunk.length;
        if (size >= READ_LIMIT_BYTES) done();
      });
      response.on('end', done);
      // The status already arrived: a connection dropped while reading the body does not undo the answer.
      response.on('error', done);
      response.on('aborted', done);
    });
    req.end(request.body);
  });
}
