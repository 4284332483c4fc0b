/**
 * The earn-rule routes through `app.inject()`, on every dialect. Every kind of rule is proven by what it does:
 * a rule is created over the API and then a POST /v1/events shows what it awards. Error cases check the status,
 * the problem+json media type, the code and the field pointer, and that no rule was created or changed.
 */
import { describe, expect, it } from 'vitest';
import { useApi, expectProblem, type Problem } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import type { EventAward as Award, EventResponse } from '../../src/services/events.service.js';
import { givenMember, givenProgram, uniqueId } from '../support/factories.js';
import type { RuleView } from '../../src/services/views.js';
import { bumpRulesVersion } from '../../src/storage/repositories/programs.repository.js';
import { insertRuleVersion } from '../../src/storage/repositories/rules.repository.js';

interface LedgerEntry {
  ruleId: string | null;
  ruleVersion: number | null;
  eventId: string | null;
  points: number;
}

type Client = ReturnType<ReturnType<typeof useApi>['as']>;


forEachDialect('rules api', (db) => {
  const api = useApi(db);

  async function setup(options: Parameters<typeof givenProgram>[1] = {}) {
    const { programId, apiKey } = await givenProgram(db.ctx, options);
    const member = await givenMember(db.ctx, programId);
    return { programId, apiKey, member, client: api.as(apiKey) };
  }

  async function listRules(client: Client): Promise<RuleView[]> {
    const response = await client.get('/v1/rules');
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ data: RuleView[] }>().data;
  }

  async function baseRule(client: Client): Promise<RuleView> {
    const base = (await listRules(client)).find((rule) => rule.trigger === 'purchase' && rule.condition === null);
    if (!base) throw new Error('no base rule');
    return base;
  }

  async function createRule(client: Client, body: Record<string, unknown>): Promise<RuleView> {
    const response = await client.post('/v1/rules', { name: `rule ${uniqueId('r')}`, ...body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<RuleView>();
  }

  async function postEvent(client: Client, body: Record<string, unknown>): Promise<EventResponse> {
    const response = await client.post('/v1/events', { id: uniqueId('evt'), ...body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<EventResponse>();
  }

  function buy(client: Client, memberId: string, total: number, extra: Record<string, unknown> = {}, occurredAt?: string) {
    return postEvent(client, {
      type: 'purchase',
      memberId,
      ...(occurredAt ? { occurredAt } : {}),
      data: { orderId: uniqueId('order'), total, currency: 'EUR', ...extra },
    });
  }

  function review(client: Client, memberId: string) {
    return postEvent(client, { type: 'review', memberId, data: { stars: 5 } });
  }

  /** Points per rule id, so assertions do not depend on award order where the semantics leave it open. */
  function pointsByRule(awarded: Award[]): Record<string, number> {
    return Object.fromEntries(awarded.map((award) => [award.ruleId, award.points]));
  }

  /** Posts an invalid rule, checks the problem, and checks no rule was created. */
  async function expectRefused(client: Client, body: Record<string, unknown>, status: number, code: string, pointer: string): Promise<Problem> {
    const before = await listRules(client);
    const problem = expectProblem(await client.post('/v1/rules', { name: 'bad rule', ...body }), status, code, pointer);
    expect(await listRules(client)).toEqual(before);
    return problem;
  }

  describe('GET /v1/rules', () => {
    it('pages through the rules with limit and cursor, oldest first, each once', async () => {
      const { client } = await setup();
      for (let i = 0; i < 4; i++) {
        expect((await client.post('/v1/rules', { name: `r${i}`, trigger: 'visit', effects: [{ type: 'points', amount: i + 1 }] })).statusCode).toBe(201);
      }
      const all = await listRules(client);
      expect(all.map((r) => r.name)).toEqual(['1 point per EUR spent', 'r0', 'r1', 'r2', 'r3']);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await client.get(`/v1/rules?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.statusCode, response.body).toBe(200);
        const page = response.json<{ data: RuleView[]; nextCursor: string | null }>();
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.map((r) => r.id));
      expectProblem(await client.get('/v1/rules?cursor=not-a-cursor'), 400, 'invalid_cursor', '/querystring/cursor');
    });

    it('lists the base rule of a new programme: 1 point per whole euro on purchases', async () => {
      const { client } = await setup();
      const rules = await listRules(client);
      expect(rules).toHaveLength(1);
      expect(rules[0]).toMatchObject({
        version: 1,
        trigger: 'purchase',
        condition: null,
        effects: [{ type: 'points', amount: 1, perSpend: 100 }],
        limits: null,
        validFrom: null,
        validUntil: null,
        priority: 0,
        stackable: true,
        active: true,
      });
      expect(rules[0]?.id).toMatch(/^rul_/);
    });

    it('sizes the base rule to the currency: 1 point per whole yen in a JPY programme', async () => {
      const { client } = await setup({ currency: 'JPY' });
      expect((await baseRule(client)).effects).toEqual([{ type: 'points', amount: 1, perSpend: 1 }]);
    });

    it('lists created rules in their current version and leaves deleted ones out', async () => {
      const { client } = await setup();
      const kept = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 5 }] });
      const dropped = await createRule(client, { trigger: 'visit', effects: [{ type: 'points', amount: 1 }] });
      await client.patch(`/v1/rules/${kept.id}`, { name: 'Reviews, renamed' });
      await client.delete(`/v1/rules/${dropped.id}`);
      const rules = await listRules(client);
      expect(rules.map((rule) => rule.id)).not.toContain(dropped.id);
      expect(rules.filter((rule) => rule.id === kept.id)).toEqual([expect.objectContaining({ version: 2, name: 'Reviews, renamed' })]);
      expect(rules).toHaveLength(2);
    });

    it("shows only the key's own programme's rules", async () => {
      const mine = await setup();
      const theirs = await setup();
      const secret = await createRule(theirs.client, { trigger: 'review', effects: [{ type: 'points', amount: 99 }] });
      const rules = await listRules(mine.client);
      expect(rules).toHaveLength(1);
      expect(rules.map((rule) => rule.id)).not.toContain(secret.id);
    });

    it('refuses a request without a valid API key', async () => {
      await setup();
      expectProblem(await api.request({ method: 'GET', url: '/v1/rules' }), 401, 'unauthenticated');
      expectProblem(await api.as('sk_unknown').get('/v1/rules'), 401, 'unauthenticated');
    });
  });

  describe('POST /v1/rules', () => {
    describe('rules that work', () => {
      it('creates a rule at version 1 with its defaults and returns it', async () => {
        const { client } = await setup();
        const response = await client.post('/v1/rules', { name: 'Review bonus', trigger: 'review', effects: [{ type: 'points', amount: 50 }] });
        expect(response.statusCode, response.body).toBe(201);
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        const rule = response.json<RuleView>();
        expect(rule).toEqual({
          id: expect.stringMatching(/^rul_/),
          version: 1,
          name: 'Review bonus',
          trigger: 'review',
          condition: null,
          effects: [{ type: 'points', amount: 50 }],
          limits: null,
          validFrom: null,
          validUntil: null,
          priority: 0,
          stackable: true,
          active: true,
          createdAt: '2026-03-15T12:00:00.000Z',
          failures: { count: 0, lastAt: null, lastReason: null, lastVersion: null },
        });
        const fetched = await client.get(`/v1/rules/${rule.id}`);
        expect(fetched.json()).toEqual(rule);
      });

      it('awards fixed points on its trigger and nothing on other event types', async () => {
        const { client, member } = await setup();
        const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 50 }] });
        expect((await review(client, member.id)).awarded).toEqual([{ ruleId: rule.id, ruleVersion: 1, points: 50, status: 'available' }]);
        expect((await postEvent(client, { type: 'visit', memberId: member.id, data: {} })).awarded).toEqual([]);
        const purchase = await buy(client, member.id, 1000);
        expect(purchase.awarded.map((a) => a.ruleId)).not.toContain(rule.id);
        expect(purchase.balance).toEqual({ available: 60, pending: 0 });
      });

      it('awards a bonus only when its CEL condition holds', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        const bonus = await createRule(client, { trigger: 'purchase', condition: 'event.data.total >= 5000.0', effects: [{ type: 'points', amount: 100 }] });
        expect(bonus.condition).toBe('event.data.total >= 5000.0');
        expect(pointsByRule((await buy(client, member.id, 6000)).awarded)).toEqual({ [base.id]: 60, [bonus.id]: 100 });
        expect(pointsByRule((await buy(client, member.id, 5000)).awarded)).toEqual({ [base.id]: 50, [bonus.id]: 100 });
        expect(pointsByRule((await buy(client, member.id, 4999)).awarded)).toEqual({ [base.id]: 49 });
      });

      it('evaluates conditions over the member too', async () => {
        const { client, member } = await setup();
        const rule = await createRule(client, { trigger: 'review', condition: 'member.purchaseCount >= 1', effects: [{ type: 'points', amount: 30 }] });
        expect((await review(client, member.id)).awarded).toEqual([]);
        await buy(client, member.id, 100);
        expect((await review(client, member.id)).awarded).toEqual([expect.objectContaining({ ruleId: rule.id, points: 30 })]);
      });

      it('treats a condition that cannot be evaluated for an event as not matching, and still records the event', async () => {
        const { client, member } = await setup();
        await createRule(client, { trigger: 'review', condition: 'event.data.stars >= 4.0 && event.data.photo == true', effects: [{ type: 'points', amount: 30 }] });
        // `photo` is missing: the condition errors at evaluation, which means "no match".
        const outcome = await review(client, member.id);
        expect(outcome.awarded).toEqual([]);
      });

      it('awards per spend on the matching basket lines only (itemCondition)', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        const coffee = await createRule(client, {
          trigger: 'purchase',
          effects: [{ type: 'points', amount: 2, perSpend: 100, itemCondition: 'item.category == "coffee"' }],
        });
        expect(coffee.effects).toEqual([{ type: 'points', amount: 2, perSpend: 100, itemCondition: 'item.category == "coffee"' }]);
        const outcome = await buy(client, member.id, 2350, {
          items: [
            { sku: 'espresso-beans', category: 'coffee', quantity: 2, unitPrice: 450 },
            { sku: 'earl-grey', category: 'tea', quantity: 1, unitPrice: 1000 },
            { sku: 'filter', category: 'coffee', quantity: 1, unitPrice: 450 },
          ],
        });
        // Coffee spend 1350 → 13 whole euros × 2; base 23 on the total.
        expect(pointsByRule(outcome.awarded)).toEqual({ [base.id]: 23, [coffee.id]: 26 });
        const noCoffee = await buy(client, member.id, 1000, { items: [{ sku: 'earl-grey', category: 'tea', quantity: 1, unitPrice: 1000 }] });
        expect(pointsByRule(noCoffee.awarded)).toEqual({ [base.id]: 10 });
      });

      it('multiplies the points of the event (double points), rounding down', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        const double = await createRule(client, { trigger: 'purchase', effects: [{ type: 'multiplier', factor: 2 }] });
        const outcome = await buy(client, member.id, 2599);
        expect(pointsByRule(outcome.awarded)).toEqual({ [base.id]: 25, [double.id]: 25 });
        expect(outcome.balance).toEqual({ available: 50, pending: 0 });
      });

      it('multiplies by a fraction, rounding the total down', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        const boost = await createRule(client, { trigger: 'purchase', effects: [{ type: 'multiplier', factor: 1.5 }] });
        expect(pointsByRule((await buy(client, member.id, 2599)).awarded)).toEqual({ [base.id]: 25, [boost.id]: 12 });
      });

      it('compounds multipliers of several rules, rounding down at each step', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        // Evaluation order is priority first: 2x runs before 1.5x, so 100 -> 200 -> 300.
        const double = await createRule(client, { trigger: 'purchase', effects: [{ type: 'multiplier', factor: 2 }], priority: 2 });
        const boost = await createRule(client, { trigger: 'purchase', effects: [{ type: 'multiplier', factor: 1.5 }], priority: 1 });
        const outcome = await buy(client, member.id, 10000);
        expect(pointsByRule(outcome.awarded)).toEqual({ [base.id]: 100, [double.id]: 100, [boost.id]: 100 });
        expect(outcome.balance.available).toBe(300);
      });

      it('awards a multiplier nothing on an event without base points', async () => {
        const { client, member } = await setup();
        await createRule(client, { trigger: 'visit', effects: [{ type: 'multiplier', factor: 3 }] });
        expect((await postEvent(client, { type: 'visit', memberId: member.id, data: {} })).awarded).toEqual([]);
      });

      it('stops awarding once a member reached the per-member limit of the period, and starts again next period', async () => {
        const { client, member, programId } = await setup();
        const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }], limits: { perMember: { count: 2, period: 'day' } } });
        expect(rule.limits).toEqual({ perMember: { count: 2, period: 'day' } });
        expect((await review(client, member.id)).awarded.map((a) => a.points)).toEqual([10]);
        expect((await review(client, member.id)).awarded.map((a) => a.points)).toEqual([10]);
        const third = await review(client, member.id);
        expect(third.awarded).toEqual([]);
        expect(third.balance).toEqual({ available: 20, pending: 0 });
        // The limit is per member: someone else still earns.
        const other = await givenMember(db.ctx, programId);
        expect((await review(client, other.id)).awarded.map((a) => a.points)).toEqual([10]);
        db.clock.advanceDays(1);
        expect((await review(client, member.id)).awarded.map((a) => a.points)).toEqual([10]);
      });

      it('skips an exclusive rule that reached its limit, letting the rules after it apply', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        const once = await createRule(client, {
          trigger: 'purchase',
          effects: [{ type: 'points', amount: 200 }],
          priority: 10,
          stackable: false,
          limits: { perMember: { count: 1, period: 'month' } },
        });
        expect(pointsByRule((await buy(client, member.id, 1000)).awarded)).toEqual({ [once.id]: 200 });
        expect(pointsByRule((await buy(client, member.id, 1000)).awarded)).toEqual({ [base.id]: 10 });
      });

      it('does not count an event that earned 0 points from a rule towards its limit', async () => {
        const { client, member } = await setup();
        const rule = await createRule(client, {
          trigger: 'purchase',
          effects: [{ type: 'points', amount: 5, perSpend: 1000 }],
          limits: { perMember: { count: 1, period: 'day' } },
        });
        expect((await buy(client, member.id, 999)).awarded.map((a) => a.ruleId)).not.toContain(rule.id);
        expect(pointsByRule((await buy(client, member.id, 2000)).awarded)[rule.id]).toBe(10);
        expect(pointsByRule((await buy(client, member.id, 2000)).awarded)[rule.id]).toBeUndefined();
      });

      it('counts a lifetime limit across periods', async () => {
        const { client, member } = await setup();
        await createRule(client, { trigger: 'custom.newsletter_signup', effects: [{ type: 'points', amount: 25 }], limits: { perMember: { count: 1, period: 'lifetime' } } });
        expect((await postEvent(client, { type: 'custom.newsletter_signup', memberId: member.id, data: {} })).awarded).toHaveLength(1);
        db.clock.advanceDays(400);
        expect((await postEvent(client, { type: 'custom.newsletter_signup', memberId: member.id, data: {} })).awarded).toEqual([]);
      });

      it('awards inside its window only: validFrom inclusive, validUntil exclusive, judged by occurredAt', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        const campaign = await createRule(client, {
          trigger: 'purchase',
          effects: [{ type: 'points', amount: 50 }],
          validFrom: '2026-03-10T00:00:00Z',
          validUntil: '2026-03-20T00:00:00Z',
        });
        expect(campaign).toMatchObject({ validFrom: '2026-03-10T00:00:00.000Z', validUntil: '2026-03-20T00:00:00.000Z' });
        expect(pointsByRule((await buy(client, member.id, 1000, {}, '2026-03-09T23:59:59Z')).awarded)).toEqual({ [base.id]: 10 });
        expect(pointsByRule((await buy(client, member.id, 1000, {}, '2026-03-10T00:00:00Z')).awarded)).toEqual({ [base.id]: 10, [campaign.id]: 50 });
        expect(pointsByRule((await buy(client, member.id, 1000)).awarded)).toEqual({ [base.id]: 10, [campaign.id]: 50 });
        db.clock.set('2026-03-25T12:00:00Z');
        expect(pointsByRule((await buy(client, member.id, 1000, {}, '2026-03-19T23:59:59Z')).awarded)).toEqual({ [base.id]: 10, [campaign.id]: 50 });
        expect(pointsByRule((await buy(client, member.id, 1000, {}, '2026-03-20T00:00:00Z')).awarded)).toEqual({ [base.id]: 10 });
        expect(pointsByRule((await buy(client, member.id, 1000)).awarded)).toEqual({ [base.id]: 10 });
      });

      it('lets an exclusive (non-stackable) rule of higher priority replace the rules after it', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        const vip = await createRule(client, {
          trigger: 'purchase',
          condition: 'event.data.total >= 5000.0',
          effects: [{ type: 'points', amount: 500 }],
          priority: 10,
          stackable: false,
        });
        expect(vip).toMatchObject({ priority: 10, stackable: false });
        const big = await buy(client, member.id, 6000);
        expect(big.awarded).toEqual([{ ruleId: vip.id, ruleVersion: 1, points: 500, status: 'available' }]);
        // When the exclusive rule does not match, the rules after it apply as usual.
        expect(pointsByRule((await buy(client, member.id, 1000)).awarded)).toEqual({ [base.id]: 10 });
      });

      it('stacks a stackable rule of higher priority with the base rule', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        const extra = await createRule(client, { trigger: 'purchase', effects: [{ type: 'points', amount: 5 }], priority: 5 });
        const outcome = await buy(client, member.id, 1000);
        expect(outcome.awarded.map((a) => a.ruleId)).toEqual([extra.id, base.id]);
        expect(pointsByRule(outcome.awarded)).toEqual({ [base.id]: 10, [extra.id]: 5 });
      });

      it('keeps rules of lower priority than an exclusive rule from running, but not those above it', async () => {
        const { client, member } = await setup();
        const base = await baseRule(client);
        const top = await createRule(client, { trigger: 'purchase', effects: [{ type: 'points', amount: 7 }], priority: 20 });
        const exclusive = await createRule(client, { trigger: 'purchase', effects: [{ type: 'points', amount: 3 }], priority: 10, stackable: false });
        expect(pointsByRule((await buy(client, member.id, 1000)).awarded)).toEqual({ [top.id]: 7, [exclusive.id]: 3 });
        expect((await listRules(client)).map((r) => r.id)).toContain(base.id);
      });

      it('creates an inactive rule that awards nothing', async () => {
        const { client, member } = await setup();
        const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }], active: false });
        expect(rule.active).toBe(false);
        expect((await review(client, member.id)).awarded).toEqual([]);
      });
    });

    describe('rules that are refused', () => {
      it('refuses a condition that does not parse, with the parser message and /condition', async () => {
        const { client } = await setup();
        const problem = await expectRefused(client, { trigger: 'purchase', condition: 'event.data.total >=', effects: [{ type: 'points', amount: 1 }] }, 422, 'rule_condition_invalid', '/condition');
        expect(problem.detail).toMatch(/Unexpected token/);
        expect(problem.errors?.[0]?.detail).toMatch(/Unexpected token/);
      });

      it('refuses a condition that is not a boolean expression', async () => {
        const { client } = await setup();
        const problem = await expectRefused(client, { trigger: 'purchase', condition: 'event.data.total + 1.0', effects: [{ type: 'points', amount: 1 }] }, 422, 'rule_condition_invalid', '/condition');
        expect(problem.detail).toMatch(/boolean/);
        await expectRefused(client, { trigger: 'purchase', condition: '"yes"', effects: [{ type: 'points', amount: 1 }] }, 422, 'rule_condition_invalid', '/condition');
      });

      it('accepts a bare field of dynamic type, which matches only when it holds true', async () => {
        // `member.attributes.vip` is a legitimate condition, and the type checker cannot tell it from
        // `event.data.total`: both are dyn. A non-boolean value at event time simply does not match.
        const { client, member } = await setup();
        const memberId = member.id;
        const created = await client.post('/v1/rules', { name: 'bare field', trigger: 'purchase', condition: 'event.data.total', effects: [{ type: 'points', amount: 7 }] });
        expect(created.statusCode).toBe(201);
        const ruleId = (created.json() as { id: string }).id;
        const outcome = await client.post('/v1/events', { id: 'bare-1', type: 'purchase', memberId, data: { orderId: 'bare-o1', total: 2599, currency: 'EUR' } });
        expect(outcome.statusCode).toBe(201);
        expect((outcome.json() as { awarded: { ruleId: string }[] }).awarded.map((a) => a.ruleId)).not.toContain(ruleId);
      });

      it('refuses a condition over an unknown variable', async () => {
        const { client } = await setup();
        const problem = await expectRefused(client, { trigger: 'purchase', condition: 'foo == 1', effects: [{ type: 'points', amount: 1 }] }, 422, 'rule_condition_invalid', '/condition');
        expect(problem.detail).toMatch(/foo/);
      });

      it('refuses a condition over 4000 characters, naming /condition', async () => {
        const { client } = await setup();
        const long = `${'event.data.total > 1.0 && '.repeat(160)}true`;
        await expectRefused(client, { trigger: 'purchase', condition: long, effects: [{ type: 'points', amount: 1 }] }, 400, 'validation_failed', '/condition');
      });

      it('refuses an itemCondition that does not parse, naming /effects/0/itemCondition', async () => {
        const { client } = await setup();
        await expectRefused(
          client,
          { trigger: 'purchase', effects: [{ type: 'points', amount: 1, perSpend: 100, itemCondition: 'item.category ==' }] },
          422,
          'rule_condition_invalid',
          '/effects/0/itemCondition',
        );
      });

      it('refuses an itemCondition without perSpend', async () => {
        const { client } = await setup();
        await expectRefused(
          client,
          { trigger: 'purchase', effects: [{ type: 'points', amount: 1, itemCondition: 'item.category == "coffee"' }] },
          422,
          'rule_effect_invalid',
          '/effects/0/itemCondition',
        );
      });

      it.each([
        ['zero points', { type: 'points', amount: 0 }, '/effects/0/amount'],
        ['negative points', { type: 'points', amount: -5 }, '/effects/0/amount'],
        ['points without an amount', { type: 'points' }, '/effects/0/amount'],
        ['more than a million points', { type: 'points', amount: 1_000_001 }, '/effects/0/amount'],
        ['a zero perSpend', { type: 'points', amount: 1, perSpend: 0 }, '/effects/0/perSpend'],
        ['a zero factor', { type: 'multiplier', factor: 0 }, '/effects/0/factor'],
        ['a negative factor', { type: 'multiplier', factor: -2 }, '/effects/0/factor'],
        ['a multiplier without a factor', { type: 'multiplier' }, '/effects/0/factor'],
        ['a factor above 100', { type: 'multiplier', factor: 101 }, '/effects/0/factor'],
        ['a factor below 1', { type: 'multiplier', factor: 0.5 }, '/effects/0/factor'],
        ['a factor just below 1', { type: 'multiplier', factor: 0.999 }, '/effects/0/factor'],
        ['an unknown field', { type: 'points', amount: 1, bonus: 2 }, '/effects/0/bonus'],
        ["a field of the other kind of effect", { type: 'multiplier', factor: 2, amount: 5 }, '/effects/0/amount'],
      ])('refuses an effect with %s as rule_effect_invalid', async (_label, effect, pointer) => {
        const { client } = await setup();
        await expectRefused(client, { trigger: 'purchase', effects: [effect] }, 422, 'rule_effect_invalid', pointer);
      });

      it('names the offending effect by its index', async () => {
        const { client } = await setup();
        await expectRefused(client, { trigger: 'purchase', effects: [{ type: 'points', amount: 1 }, { type: 'multiplier', factor: 0 }] }, 422, 'rule_effect_invalid', '/effects/1/factor');
      });

      it('refuses effects of an unknown kind, with unknown fields or of the wrong type, naming them', async () => {
        const { client } = await setup();
        await expectRefused(client, { trigger: 'purchase', effects: [{ type: 'badge', amount: 1 }] }, 400, 'validation_failed', '/effects/0/type');
        await expectRefused(client, { trigger: 'purchase', effects: [{ type: 'points', amount: 1 }, { type: 'points', amount: 1, bogus: 2 }] }, 422, 'rule_effect_invalid', '/effects/1/bogus');
        await expectRefused(client, { trigger: 'purchase', effects: [{ type: 'points', amount: '5' }] }, 400, 'validation_failed', '/effects/0/amount');
        await expectRefused(client, { trigger: 'purchase', effects: [{ type: 'points', amount: 1.5 }] }, 400, 'validation_failed', '/effects/0/amount');
      });

      it('refuses a rule without effects', async () => {
        const { client } = await setup();
        await expectRefused(client, { trigger: 'purchase', effects: [] }, 400, 'validation_failed', '/effects');
        await expectRefused(client, { trigger: 'purchase' }, 400, 'validation_failed', '/effects');
      });

      it('refuses an unknown trigger, naming /trigger', async () => {
        const { client } = await setup();
        await expectRefused(client, { trigger: 'foo', effects: [{ type: 'points', amount: 1 }] }, 400, 'validation_failed', '/trigger');
        await expectRefused(client, { trigger: 'custom.Bad Name', effects: [{ type: 'points', amount: 1 }] }, 400, 'validation_failed', '/trigger');
      });

      it('refuses a window whose validUntil is not after validFrom, naming /validUntil', async () => {
        const { client } = await setup();
        await expectRefused(
          client,
          { trigger: 'purchase', effects: [{ type: 'points', amount: 1 }], validFrom: '2026-04-01T00:00:00Z', validUntil: '2026-03-01T00:00:00Z' },
          400,
          'validation_failed',
          '/validUntil',
        );
        await expectRefused(
          client,
          { trigger: 'purchase', effects: [{ type: 'points', amount: 1 }], validFrom: '2026-04-01T00:00:00Z', validUntil: '2026-04-01T00:00:00Z' },
          400,
          'validation_failed',
          '/validUntil',
        );
      });

      it('refuses window dates that are not date-times', async () => {
        const { client } = await setup();
        await expectRefused(client, { trigger: 'purchase', effects: [{ type: 'points', amount: 1 }], validFrom: 'soon' }, 400, 'validation_failed', '/validFrom');
        await expectRefused(client, { trigger: 'purchase', effects: [{ type: 'points', amount: 1 }], validUntil: '2026-13-01T00:00:00Z' }, 400, 'validation_failed', '/validUntil');
      });

      it('refuses limits with a count below 1 or an unknown period', async () => {
        const { client } = await setup();
        await expectRefused(client, { trigger: 'review', effects: [{ type: 'points', amount: 1 }], limits: { perMember: { count: 0, period: 'day' } } }, 400, 'validation_failed', '/limits/perMember/count');
        await expectRefused(client, { trigger: 'review', effects: [{ type: 'points', amount: 1 }], limits: { perMember: { count: 1, period: 'hour' } } }, 400, 'validation_failed', '/limits/perMember/period');
      });

      it('refuses a priority outside -1000..1000, a missing name and unknown fields', async () => {
        const { client } = await setup();
        await expectRefused(client, { trigger: 'review', effects: [{ type: 'points', amount: 1 }], priority: 1001 }, 400, 'validation_failed', '/priority');
        const before = await listRules(client);
        expectProblem(await client.post('/v1/rules', { trigger: 'review', effects: [{ type: 'points', amount: 1 }] }), 400, 'validation_failed', '/name');
        await expectRefused(client, { trigger: 'review', effects: [{ type: 'points', amount: 1 }], budget: 100 }, 400, 'validation_failed', '/budget');
        expect(await listRules(client)).toEqual(before);
      });

      it('refuses malformed JSON', async () => {
        const { apiKey, client } = await setup();
        const response = await api.request({
          method: 'POST',
          url: '/v1/rules',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          payload: '{"name": "x", "trigger": ',
        });
        expectProblem(response, 400, 'malformed_json');
        expect(await listRules(client)).toHaveLength(1);
      });
    });

    describe('security', () => {
      it('refuses to create a rule without a valid API key', async () => {
        const { client } = await setup();
        const body = { name: 'Sneaky', trigger: 'purchase', effects: [{ type: 'multiplier', factor: 100 }] };
        expectProblem(await api.request({ method: 'POST', url: '/v1/rules', payload: body }), 401, 'unauthenticated');
        expectProblem(await api.as('sk_forged').post('/v1/rules', body), 401, 'unauthenticated');
        expect(await listRules(client)).toHaveLength(1);
      });

      it("creates the rule in the key's programme only: another programme's members do not earn from it", async () => {
        const mine = await setup();
        const theirs = await setup();
        await createRule(mine.client, { trigger: 'review', effects: [{ type: 'points', amount: 40 }] });
        expect((await review(theirs.client, theirs.member.id)).awarded).toEqual([]);
        expect((await review(mine.client, mine.member.id)).awarded.map((a) => a.points)).toEqual([40]);
      });
    });
  });

  describe('GET /v1/rules/:id', () => {
    it('returns the current version of a rule', async () => {
      const { client } = await setup();
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 5 }] });
      const response = await client.get(`/v1/rules/${rule.id}`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(rule);
    });

    it('answers 404 rule_not_found for an unknown id', async () => {
      const { client } = await setup();
      expectProblem(await client.get('/v1/rules/rul_doesnotexist'), 404, 'rule_not_found');
    });

    it("answers 404 for another programme's rule, never 403", async () => {
      const mine = await setup();
      const theirs = await setup();
      const rule = await createRule(theirs.client, { trigger: 'review', effects: [{ type: 'points', amount: 5 }] });
      expectProblem(await mine.client.get(`/v1/rules/${rule.id}`), 404, 'rule_not_found');
      expectProblem(await mine.client.get(`/v1/rules/${(await baseRule(theirs.client)).id}`), 404, 'rule_not_found');
    });

    it('refuses a request without a valid API key', async () => {
      const { client } = await setup();
      const rule = await baseRule(client);
      expectProblem(await api.request({ method: 'GET', url: `/v1/rules/${rule.id}` }), 401, 'unauthenticated');
    });
  });

  describe('PATCH /v1/rules/:id', () => {
    it('makes a new version, and the next award names version 2 while the earlier one keeps version 1', async () => {
      const { client, member } = await setup();
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      const first = await review(client, member.id);
      expect(first.awarded).toEqual([{ ruleId: rule.id, ruleVersion: 1, points: 10, status: 'available' }]);

      db.clock.advanceDays(1);
      const patched = await client.patch(`/v1/rules/${rule.id}`, { effects: [{ type: 'points', amount: 20 }] });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json<RuleView>()).toMatchObject({ id: rule.id, version: 2, name: rule.name, trigger: 'review', effects: [{ type: 'points', amount: 20 }] });
      expect((await client.get(`/v1/rules/${rule.id}`)).json<RuleView>().version).toBe(2);

      const second = await review(client, member.id);
      expect(second.awarded).toEqual([{ ruleId: rule.id, ruleVersion: 2, points: 20, status: 'available' }]);
      expect(second.balance).toEqual({ available: 30, pending: 0 });

      const ledger = (await client.get(`/v1/members/${member.id}/ledger`)).json<{ data: LedgerEntry[] }>().data;
      expect(ledger.filter((e) => e.ruleId === rule.id).map((e) => [e.ruleVersion, e.points]).sort()).toEqual([[1, 10], [2, 20]]);
    });

    it('keeps the fields it was not given and applies the ones it was', async () => {
      const { client, member } = await setup();
      const base = await baseRule(client);
      const rule = await createRule(client, {
        trigger: 'purchase',
        condition: 'event.data.total >= 5000.0',
        effects: [{ type: 'points', amount: 100 }],
        priority: 3,
        limits: { perMember: { count: 5, period: 'month' } },
      });
      const patched = await client.patch(`/v1/rules/${rule.id}`, { condition: 'event.data.total >= 1000.0', name: 'Lower threshold' });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json<RuleView>()).toMatchObject({
        version: 2,
        name: 'Lower threshold',
        condition: 'event.data.total >= 1000.0',
        effects: [{ type: 'points', amount: 100 }],
        priority: 3,
        limits: { perMember: { count: 5, period: 'month' } },
      });
      expect(pointsByRule((await buy(client, member.id, 1500)).awarded)).toEqual({ [base.id]: 15, [rule.id]: 100 });
    });

    it('removes a condition set to null, so the rule matches every event', async () => {
      const { client, member } = await setup();
      const rule = await createRule(client, { trigger: 'review', condition: 'member.purchaseCount > 100', effects: [{ type: 'points', amount: 10 }] });
      expect((await review(client, member.id)).awarded).toEqual([]);
      const patched = await client.patch(`/v1/rules/${rule.id}`, { condition: null });
      expect(patched.json<RuleView>()).toMatchObject({ condition: null, version: 2 });
      expect((await review(client, member.id)).awarded).toEqual([expect.objectContaining({ ruleId: rule.id, ruleVersion: 2, points: 10 })]);
    });

    it('pauses and resumes a rule through active', async () => {
      const { client, member } = await setup();
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      await client.patch(`/v1/rules/${rule.id}`, { active: false });
      expect((await review(client, member.id)).awarded).toEqual([]);
      const resumed = await client.patch(`/v1/rules/${rule.id}`, { active: true });
      expect(resumed.json<RuleView>()).toMatchObject({ active: true, version: 3 });
      expect((await review(client, member.id)).awarded).toEqual([expect.objectContaining({ ruleVersion: 3, points: 10 })]);
    });

    it('changes the base rule, e.g. 2 points per euro', async () => {
      const { client, member } = await setup();
      const base = await baseRule(client);
      const patched = await client.patch(`/v1/rules/${base.id}`, { effects: [{ type: 'points', amount: 2, perSpend: 100 }] });
      expect(patched.statusCode, patched.body).toBe(200);
      expect((await buy(client, member.id, 2599)).awarded).toEqual([{ ruleId: base.id, ruleVersion: 2, points: 50, status: 'available' }]);
    });

    it('refuses an invalid condition with 422 and leaves the rule at its version', async () => {
      const { client, member } = await setup();
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      expectProblem(await client.patch(`/v1/rules/${rule.id}`, { condition: 'member.tier ==' }), 422, 'rule_condition_invalid', '/condition');
      expectProblem(await client.patch(`/v1/rules/${rule.id}`, { effects: [{ type: 'points', amount: 0 }] }), 422, 'rule_effect_invalid', '/effects/0/amount');
      expectProblem(await client.patch(`/v1/rules/${rule.id}`, { trigger: 'foo' }), 400, 'validation_failed', '/trigger');
      expectProblem(await client.patch(`/v1/rules/${rule.id}`, { validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }), 400, 'validation_failed', '/validUntil');
      expect((await client.get(`/v1/rules/${rule.id}`)).json()).toEqual(rule);
      expect((await review(client, member.id)).awarded).toEqual([expect.objectContaining({ ruleVersion: 1, points: 10 })]);
    });

    it('refuses a window that ends before the start the rule already has', async () => {
      const { client } = await setup();
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }], validFrom: '2026-03-01T00:00:00Z' });
      expectProblem(await client.patch(`/v1/rules/${rule.id}`, { validUntil: '2026-02-01T00:00:00Z' }), 400, 'validation_failed', '/validUntil');
      expect((await client.get(`/v1/rules/${rule.id}`)).json()).toEqual(rule);
    });

    it('refuses an empty patch and unknown fields', async () => {
      const { client } = await setup();
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      expectProblem(await client.patch(`/v1/rules/${rule.id}`, {}), 400, 'validation_failed');
      expectProblem(await client.patch(`/v1/rules/${rule.id}`, { version: 7 }), 400, 'validation_failed', '/version');
      expect((await client.get(`/v1/rules/${rule.id}`)).json()).toEqual(rule);
    });

    it('answers 404 rule_not_found for an unknown or deleted rule', async () => {
      const { client } = await setup();
      expectProblem(await client.patch('/v1/rules/rul_doesnotexist', { name: 'x' }), 404, 'rule_not_found');
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      await client.delete(`/v1/rules/${rule.id}`);
      expectProblem(await client.patch(`/v1/rules/${rule.id}`, { name: 'back from the dead' }), 404, 'rule_not_found');
      expect((await listRules(client)).map((r) => r.id)).not.toContain(rule.id);
    });

    it("answers 404 for another programme's rule and leaves it unchanged", async () => {
      const mine = await setup();
      const theirs = await setup();
      const rule = await createRule(theirs.client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      expectProblem(await mine.client.patch(`/v1/rules/${rule.id}`, { effects: [{ type: 'points', amount: 1_000_000 }] }), 404, 'rule_not_found');
      expect((await theirs.client.get(`/v1/rules/${rule.id}`)).json()).toEqual(rule);
      expect((await review(theirs.client, theirs.member.id)).awarded).toEqual([expect.objectContaining({ ruleVersion: 1, points: 10 })]);
    });

    it('refuses a request without a valid API key', async () => {
      const { client } = await setup();
      const rule = await baseRule(client);
      expectProblem(await api.request({ method: 'PATCH', url: `/v1/rules/${rule.id}`, payload: { name: 'x' } }), 401, 'unauthenticated');
      expect((await client.get(`/v1/rules/${rule.id}`)).json()).toEqual(rule);
    });
  });

  describe('DELETE /v1/rules/:id', () => {
    it('retires a rule: 204, it stops awarding, and it is gone from GET', async () => {
      const { client, member } = await setup();
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      expect((await review(client, member.id)).awarded).toHaveLength(1);
      const deleted = await client.delete(`/v1/rules/${rule.id}`);
      expect(deleted.statusCode).toBe(204);
      expect(deleted.body).toBe('');
      expectProblem(await client.get(`/v1/rules/${rule.id}`), 404, 'rule_not_found');
      expect((await listRules(client)).map((r) => r.id)).not.toContain(rule.id);
      const after = await review(client, member.id);
      expect(after.awarded).toEqual([]);
      expect(after.balance).toEqual({ available: 10, pending: 0 });
    });

    it('keeps the ledger entries of what the rule awarded before it was retired', async () => {
      const { client, member } = await setup();
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      await review(client, member.id);
      await client.delete(`/v1/rules/${rule.id}`);
      const ledger = (await client.get(`/v1/members/${member.id}/ledger`)).json<{ data: LedgerEntry[] }>().data;
      expect(ledger).toEqual([expect.objectContaining({ ruleId: rule.id, ruleVersion: 1, points: 10 })]);
    });

    it('retires the base rule, after which purchases earn nothing', async () => {
      const { client, member } = await setup();
      const base = await baseRule(client);
      expect((await client.delete(`/v1/rules/${base.id}`)).statusCode).toBe(204);
      expect(await listRules(client)).toEqual([]);
      const outcome = await buy(client, member.id, 5000);
      expect(outcome).toMatchObject({ awarded: [], balance: { available: 0, pending: 0 } });
    });

    it('answers 404 rule_not_found for an unknown rule and for a rule deleted twice', async () => {
      const { client } = await setup();
      expectProblem(await client.delete('/v1/rules/rul_doesnotexist'), 404, 'rule_not_found');
      const rule = await createRule(client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      expect((await client.delete(`/v1/rules/${rule.id}`)).statusCode).toBe(204);
      expectProblem(await client.delete(`/v1/rules/${rule.id}`), 404, 'rule_not_found');
    });

    it("answers 404 for another programme's rule, which goes on awarding there", async () => {
      const mine = await setup();
      const theirs = await setup();
      const rule = await createRule(theirs.client, { trigger: 'review', effects: [{ type: 'points', amount: 10 }] });
      expectProblem(await mine.client.delete(`/v1/rules/${rule.id}`), 404, 'rule_not_found');
      expect((await theirs.client.get(`/v1/rules/${rule.id}`)).json()).toEqual(rule);
      expect((await review(theirs.client, theirs.member.id)).awarded).toEqual([expect.objectContaining({ ruleId: rule.id, points: 10 })]);
    });

    it('refuses a request without a valid API key', async () => {
      const { client } = await setup();
      const rule = await baseRule(client);
      expectProblem(await api.request({ method: 'DELETE', url: `/v1/rules/${rule.id}` }), 401, 'unauthenticated');
      expectProblem(await api.as('sk_forged').delete(`/v1/rules/${rule.id}`), 401, 'unauthenticated');
      expect((await client.get(`/v1/rules/${rule.id}`)).statusCode).toBe(200);
    });
  });

  describe('POST /v1/rules/try', () => {
    const weekendDouble = {
      name: 'Weekend bonus for gold',
      trigger: 'purchase',
      condition: "member.tier == 'Goud' && event.data.total >= 2000",
      effects: [{ type: 'points', amount: 1, perSpend: 100 }],
    };
    const purchase = (total: number) => ({ type: 'purchase', occurredAt: '2026-03-14T12:00:00Z', data: { orderId: 'o-1', total, currency: 'EUR' } });

    it('says what an unsaved rule would award for a sample event and member, and why not, writing nothing', async () => {
      const { client } = await setup();
      const before = (await listRules(client)).length;
      const tryIt = async (body: unknown) => {
        const response = await client.post('/v1/rules/try', body);
        expect(response.statusCode, response.body).toBe(200);
        return response.json<{ matched: boolean; points: number; reason: string | null }>();
      };
      expect(await tryIt({ rule: weekendDouble, event: purchase(2599), member: { tier: 'Goud' } })).toEqual({ matched: true, points: 25, reason: null, failure: null });
      expect(await tryIt({ rule: weekendDouble, event: purchase(2599), member: { tier: 'Zilver' } })).toEqual({ matched: false, points: 0, reason: 'condition', failure: null });
      expect(await tryIt({ rule: weekendDouble, event: { type: 'review', data: {} }, member: { tier: 'Goud' } })).toEqual({ matched: false, points: 0, reason: 'trigger', failure: null });
      expect(await tryIt({ rule: { ...weekendDouble, validUntil: '2026-03-01T00:00:00Z' }, event: purchase(2599), member: { tier: 'Goud' } })).toMatchObject({ matched: false, reason: 'window' });
      expect(await tryIt({ rule: { ...weekendDouble, active: false }, event: purchase(2599), member: { tier: 'Goud' } })).toMatchObject({ matched: false, points: 0, reason: 'inactive' });
      expect((await listRules(client)).length).toBe(before);
    });

    it('refuses an invalid rule as a save would, with the pointer under /rule, so the editor can check as you type', async () => {
      const { client } = await setup();
      const problem = expectProblem(await client.post('/v1/rules/try', { rule: { ...weekendDouble, condition: "member.tier ==" }, event: purchase(100) }), 422, 'rule_condition_invalid', '/rule/condition');
      expect(problem.errors?.[0]?.detail).toMatch(/member\.tier ==/);
      expectProblem(await client.post('/v1/rules/try', { rule: { ...weekendDouble, effects: [{ type: 'points', amount: -1 }] }, event: purchase(100) }), 422, 'rule_effect_invalid', '/rule/effects/0/amount');
      expectProblem(await client.post('/v1/rules/try', { rule: weekendDouble }), 400, 'validation_failed', '/event');
      expectProblem(await client.post('/v1/rules/try', { rule: weekendDouble, event: purchase(100), member: { tier: 'Goud', vip: true } }), 400, 'validation_failed', '/member/vip');
    });
  });

  // Issue 12, "Rules are untrusted input": a rule is written by whoever holds rules:write, and /v1/rules/try runs
  // one for any rules:read key, so every rule is held to a cost bound on save and at evaluation.
  describe('rules are untrusted input', () => {
    const body = (effects: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'bonus', trigger: 'purchase', effects, ...extra });
    const sample = { type: 'purchase', occurredAt: '2026-03-14T12:00:00Z', data: { orderId: 'o-1', total: 2599, currency: 'EUR' } };

    it.each([
      ['a factor below 1', [{ type: 'multiplier', factor: 0.5 }], '/effects/0/factor'],
      ['an unknown field', [{ type: 'points', amount: 1 }, { type: 'points', amount: 1, bogus: true }], '/effects/1/bogus'],
    ])('refuses %s on POST, PATCH and try with 422 naming the field, storing nothing', async (_label, effects, pointer) => {
      const { client } = await setup();
      await expectRefused(client, body(effects), 422, 'rule_effect_invalid', pointer);
      const rule = await createRule(client, body([{ type: 'points', amount: 5 }]));
      expectProblem(await client.patch(`/v1/rules/${rule.id}`, { effects }), 422, 'rule_effect_invalid', pointer);
      expect((await client.get(`/v1/rules/${rule.id}`)).json()).toEqual(rule);
      expectProblem(await client.post('/v1/rules/try', { rule: body(effects), event: sample }), 422, 'rule_effect_invalid', `/rule${pointer}`);
    });

    it.each([
      ['a backreference', 'event.data.orderId.matches("(o)\\\\1")', /RE2/],
      ['a lookahead', 'event.data.orderId.matches("(?=o)o")', /RE2/],
      ['a pattern that is not a literal', 'event.data.orderId.matches(event.data.currency)', /string literal/],
    ])('refuses %s in matches on save and on try, naming the field and why', async (_label, condition, why) => {
      const { client } = await setup();
      const problem = await expectRefused(client, body([{ type: 'points', amount: 5 }], { condition }), 422, 'rule_condition_invalid', '/condition');
      expect(problem.detail).toMatch(why);
      const item = [{ type: 'points', amount: 1, perSpend: 100, itemCondition: condition.replaceAll('event.data.orderId', 'item.sku') }];
      await expectRefused(client, body(item), 422, 'rule_condition_invalid', '/effects/0/itemCondition');
      const tried = expectProblem(await client.post('/v1/rules/try', { rule: body([{ type: 'points', amount: 5 }], { condition }), event: sample }), 422, 'rule_condition_invalid', '/rule/condition');
      expect(tried.detail).toMatch(why);
    });

    it('refuses on save a condition whose estimated cost is over the bound, with the reason', async () => {
      const { client } = await setup();
      const condition = 'event.data.items.all(a, event.data.items.exists(b, a.sku == b.sku))';
      const problem = await expectRefused(client, body([{ type: 'points', amount: 5 }], { condition }), 422, 'rule_condition_invalid', '/condition');
      expect(problem.detail).toMatch(/evaluation steps.*at most 100000/);
      const nested = '[1].all(a, [2].all(b, [3].all(c, a < b)))';
      expect((await expectRefused(client, body([{ type: 'points', amount: 5 }], { condition: nested }), 422, 'rule_condition_invalid', '/condition')).detail).toMatch(/nested at most 2 deep/);
    });

    it('matches with RE2 semantics once saved', async () => {
      const { client, member } = await setup();
      const rule = await createRule(client, body([{ type: 'points', amount: 5 }], { condition: 'event.data.coupon.matches("(?i)^summer[0-9]+$")' }));
      expect((await buy(client, member.id, 100, { coupon: 'SUMMER25' })).awarded.map((award) => award.ruleId)).toContain(rule.id);
      expect((await buy(client, member.id, 100, { coupon: 'winter25' })).awarded.map((award) => award.ruleId)).not.toContain(rule.id);
    });

    // The estimate on save counts 1,000 elements for the list split() makes; at evaluation the budget sees the
    // 120,000 characters it would really compare, and stops the rule.
    const costly = 'event.data.note.split("").exists(c, c == "!")';
    const longNote = 'x'.repeat(120_000);

    it('fails a rule over its budget alone: the event records, other rules apply, and the rule shows the failure', async () => {
      const { client, member } = await setup();
      const base = await baseRule(client);
      const rule = await createRule(client, body([{ type: 'points', amount: 5 }], { condition: costly }));
      const bonus = await createRule(client, body([{ type: 'points', amount: 3 }]));
      const outcome = await buy(client, member.id, 2599, { note: longNote });
      expect(pointsByRule(outcome.awarded)).toEqual({ [base.id]: 25, [bonus.id]: 3 });
      expect(outcome.balance.available).toBe(28);
      const failed = (await client.get(`/v1/rules/${rule.id}`)).json<RuleView>();
      expect(failed.failures).toEqual({
        count: 1,
        lastAt: '2026-03-15T12:00:00.000Z',
        lastReason: expect.stringMatching(/more than 100000 evaluation steps/),
        lastVersion: 1,
      });
      await buy(client, member.id, 2599, { note: longNote });
      expect(pointsByRule((await buy(client, member.id, 2599, { note: 'short!' })).awarded)).toEqual({ [base.id]: 25, [rule.id]: 5, [bonus.id]: 3 });
      expect((await listRules(client)).find((r) => r.id === rule.id)?.failures.count).toBe(2);
      expect((await client.get(`/v1/rules/${bonus.id}`)).json<RuleView>().failures.count).toBe(0);
    });

    it('counts the failures of a batch per rule', async () => {
      const { client, member } = await setup();
      const rule = await createRule(client, body([{ type: 'points', amount: 5 }], { condition: costly }));
      const events = Array.from({ length: 3 }, () => ({
        id: uniqueId('evt'),
        type: 'purchase',
        memberId: member.id,
        data: { orderId: uniqueId('order'), total: 100, currency: 'EUR', note: 'x'.repeat(40_000) + 'y'.repeat(80_000) },
      }));
      const response = await client.post('/v1/events/batch', { events });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<{ results: { status: number }[] }>().results.map((r) => r.status)).toEqual([201, 201, 201]);
      expect((await client.get(`/v1/rules/${rule.id}`)).json<RuleView>().failures.count).toBe(3);
    });

    it('answers try with failed and the reason for a rule over its budget', async () => {
      const { client } = await setup();
      const response = await client.post('/v1/rules/try', {
        rule: body([{ type: 'points', amount: 5 }], { condition: costly }),
        event: { ...sample, data: { ...sample.data, note: longNote } },
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({ matched: false, points: 0, reason: 'failed', failure: expect.stringMatching(/evaluation steps/) });
    });

    it('holds the sample of try to the limits of event data, naming the field', async () => {
      const { client } = await setup();
      const rule = body([{ type: 'points', amount: 5 }]);
      expectProblem(await client.post('/v1/rules/try', { rule, event: { ...sample, data: { ...sample.data, text: 'ab'.repeat(400_000) } } }), 422, 'event_data_too_large', '/event/data');
      const many = Array.from({ length: 1_001 }, (_, i) => i);
      expectProblem(await client.post('/v1/rules/try', { rule, event: sample, member: { attributes: { many } } }), 422, 'event_data_too_large', '/member/attributes/many');
    });

    it('fails a stored rule that no longer passes the checks alone, and shows why on the rule', async () => {
      const { client, member, programId } = await setup();
      const base = await baseRule(client);
      // A rule saved before factors below 1 were refused, written as the old code stored it.
      const now = db.clock.now();
      await insertRuleVersion(db.ctx.storage.db, {
        programId, id: 'rul_legacyhalf', version: 1, isCurrent: 1, deletedAt: null, createdAt: now, name: 'half', trigger: 'purchase',
        condition: null, effects: JSON.stringify([{ type: 'multiplier', factor: 0.5 }]), limits: null, validFrom: null, validUntil: null,
        priority: 0, stackable: 1, active: 1,
      });
      await bumpRulesVersion(db.ctx.storage.db, programId, now);
      const outcome = await buy(client, member.id, 2599);
      expect(pointsByRule(outcome.awarded)).toEqual({ [base.id]: 25 });
      const legacy = (await client.get('/v1/rules/rul_legacyhalf')).json<RuleView>();
      expect(legacy.failures).toMatchObject({ count: 1, lastReason: expect.stringMatching(/\/effects\/0\/factor/) });
    });
  });
});
