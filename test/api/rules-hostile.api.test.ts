/**
 * Issue 12, "Rules are untrusted input": the hostile rules found by the attack on Trouw, replayed against a real
 * listening server. This is the one timed test the issue demands: each hostile answer (save, /v1/rules/try,
 * event ingestion) must come back within 100 ms, and another programme's requests must not slow down while
 * they run. Before the fix, `^(a+)+$` against 28 a's and a "!" blocked the process for seconds, for every
 * programme.
 *
 * Method: everything is warmed up first with another pattern and other rules, so the times are neither those
 * of a cold JIT nor of a pattern already compiled. Then programme A sends the hostile requests one at a time,
 * each timed by the wall clock and by the CPU time the process spent on it: on a machine shared with other
 * work the wall clock also counts the time other processes held the CPU, so an answer is within the bound
 * when either stays under 100 ms (a blocked event loop shows in both, as seconds). Then A sends them again
 * while programme B sends ordinary events in a loop, and B's latencies are compared with those B sees while A
 * sends benign requests of the same shapes, in the same test, so the margins follow the machine's speed.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, uniqueId } from '../support/factories.js';

const answerWithinMs = 100;

interface Timed {
  status: number;
  body: string;
  ms: number;
}

interface HostileRequest {
  name: string;
  method: 'POST';
  path: string;
  body: () => unknown;
  status: number;
}

forEachDialect('hostile rules', (db) => {
  let app: FastifyInstance;
  let baseUrl: string;

  beforeEach(async () => {
    app = await buildApp(db.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await app.close();
  });

  async function send(apiKey: string, method: string, path: string, body?: unknown): Promise<Timed & { cpuMs: number }> {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    const spent = process.cpuUsage(cpu);
    return { status: response.status, body: text, ms, cpuMs: (spent.user + spent.system) / 1000 };
  }

  /** Runs `requests` in order, alone or while B posts events in a loop; returns A's answers and B's latencies. */
  async function alongsideOtherProgramme(apiKey: string, requests: HostileRequest[], other: (() => Promise<Timed>) | null) {
    let running = other !== null;
    const otherLatencies: number[] = [];
    const loop = (async () => {
      while (running && other) {
        const answer = await other();
        expect(answer.status, answer.body).toBe(201);
        otherLatencies.push(answer.ms);
      }
    })();
    const answers: (Timed & { name: string; cpuMs: number })[] = [];
    try {
      for (const request of requests) {
        const answer = await send(apiKey, request.method, request.path, request.body());
        expect(answer.status, `${request.name}: ${answer.body.slice(0, 300)}`).toBe(request.status);
        answers.push({ ...answer, name: request.name });
      }
    } finally {
      running = false;
      await loop;
    }
    return { answers, otherLatencies };
  }

  function percentile(values: number[], p: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  }

  /**
   * The hostile requests of the issue, with a pattern, a word and a rule name of the caller's choosing; with
   * `benign`, the same requests of the same sizes with harmless conditions, to compare with.
   */
  function hostile(pattern: string, word: string, tag: string, memberId: string, benign = false): HostileRequest[] {
    const purchase = (data: Record<string, unknown>) => ({
      id: uniqueId('evt'),
      type: 'purchase',
      memberId,
      data: { orderId: uniqueId('order'), total: 2599, currency: 'EUR', ...data },
    });
    const rule = (condition: string, effects: unknown[] = [{ type: 'points', amount: 5 }]) => ({ name: `${tag} ${uniqueId('r')}`, trigger: 'purchase', condition, effects });
    const catastrophic = benign ? `event.data.word == "${pattern}"` : `event.data.word.matches("${pattern}")`;
    const linear = benign ? 'event.data.text == "c"' : 'event.data.text.matches("(ab)*c")';
    const nested = benign ? 'event.data.items.size() > 1000' : 'event.data.items.all(a, event.data.items.all(b, a.sku != b.sku || a == b))';
    const items = Array.from({ length: 1_000 }, (_, i) => ({ sku: `S${i}`, quantity: 1, unitPrice: 100 }));
    // Within the data limits: 30 lines of 1,000 tags each, which an item condition iterates over.
    const taggedItems = Array.from({ length: 30 }, (_, i) => ({ sku: `T${i}`, quantity: 1, unitPrice: 100, tags: Array.from({ length: 1_000 }, () => 't') }));
    const perTag = [{ type: 'points', amount: 1, perSpend: 100, itemCondition: benign ? 'item.sku == "gold"' : 'item.tags.exists(t, t == "gold")' }];
    return [
      { name: 'save a catastrophic pattern', method: 'POST', path: '/v1/rules', body: () => rule(catastrophic), status: 201 },
      { name: 'try a catastrophic pattern', method: 'POST', path: '/v1/rules/try', body: () => ({ rule: rule(catastrophic), event: { type: 'purchase', data: { word } } }), status: 200 },
      { name: 'an event for a catastrophic pattern', method: 'POST', path: '/v1/events', body: () => purchase({ word }), status: 201 },
      { name: 'save (ab)*c', method: 'POST', path: '/v1/rules', body: () => rule(linear), status: 201 },
      { name: 'try (ab)*c over 800 KB', method: 'POST', path: '/v1/rules/try', body: () => ({ rule: rule(linear), event: { type: 'purchase', data: { text: 'ab'.repeat(400_000) } } }), status: 422 },
      { name: 'an event of 800 KB for (ab)*c', method: 'POST', path: '/v1/events', body: () => purchase({ text: 'ab'.repeat(400_000) }), status: 422 },
      { name: 'an event of 120 KB for (ab)*c', method: 'POST', path: '/v1/events', body: () => purchase({ text: 'ab'.repeat(60_000) }), status: 201 },
      { name: 'save nested comprehensions', method: 'POST', path: '/v1/rules', body: () => rule(nested), status: benign ? 201 : 422 },
      { name: 'try nested comprehensions over 1,000 lines', method: 'POST', path: '/v1/rules/try', body: () => ({ rule: rule(nested), event: { type: 'purchase', data: { items } } }), status: benign ? 200 : 422 },
      { name: 'save a comprehension per basket line', method: 'POST', path: '/v1/rules', body: () => rule('true', perTag), status: 201 },
      { name: 'an event with 30,000 tags in its lines', method: 'POST', path: '/v1/events', body: () => purchase({ items: taggedItems }), status: 201 },
      { name: 'an event of 1,000 lines', method: 'POST', path: '/v1/events', body: () => purchase({ items }), status: 201 },
    ];
  }

  it('answers each hostile request within 100 ms and leaves another programme as fast as before', async () => {
    const a = await givenProgram(db.ctx, { name: 'Attacked' });
    const aMember = await givenMember(db.ctx, a.programId);
    const b = await givenProgram(db.ctx, { name: 'Bystander' });
    const bMember = await givenMember(db.ctx, b.programId);
    const otherVisit = () => send(b.apiKey, 'POST', '/v1/events', { id: uniqueId('evt'), type: 'visit', memberId: bMember.id, data: {} });

    // Warm up every path with another pattern and other rules.
    await alongsideOtherProgramme(a.apiKey, hostile('^(b+)+$', `${'b'.repeat(28)}!`, 'warm-up', aMember.id), otherVisit);
    await alongsideOtherProgramme(a.apiKey, hostile('b', 'b', 'warm-up', aMember.id, true), otherVisit);

    const alone = await alongsideOtherProgramme(a.apiKey, hostile('^(a+)+$', `${'a'.repeat(28)}!`, 'hostile', aMember.id), null);
    const slow = alone.answers
      .filter((answer) => Math.min(answer.ms, answer.cpuMs) >= answerWithinMs)
      .map((answer) => `${answer.name}: ${answer.ms.toFixed(1)} ms, ${answer.cpuMs.toFixed(1)} ms of CPU`);
    expect(slow, 'hostile requests answered later than 100 ms').toEqual([]);

    const baseline = await alongsideOtherProgramme(a.apiKey, hostile('a', 'a', 'benign', aMember.id, true), otherVisit);
    const attack = await alongsideOtherProgramme(a.apiKey, hostile('^(a+)+$', `${'a'.repeat(28)}!`, 'hostile', aMember.id), otherVisit);

    expect(attack.otherLatencies.length).toBeGreaterThan(0);
    const during = { p50: percentile(attack.otherLatencies, 50), p90: percentile(attack.otherLatencies, 90) };
    const before = { p50: percentile(baseline.otherLatencies, 50), p90: percentile(baseline.otherLatencies, 90) };
    const report = `programme B's event latency (ms) while A sent benign requests ${JSON.stringify(before)}, hostile ones ${JSON.stringify(during)}`;
    // Generous margins for a shared two-core machine; a blocked event loop shows as seconds, not milliseconds.
    expect(during.p50, report).toBeLessThanOrEqual(2 * before.p50 + 20);
    expect(during.p90, report).toBeLessThanOrEqual(2 * before.p90 + 50);
  });
});
