/**
 * The dashboard's overview over HTTP (`GET /v1/analytics/overview`), on every dialect, on a crafted week of a
 * programme in Europe/Amsterdam: every figure is asserted against what the crafted events must give, including
 * the day buckets at the shop's midnight, and another programme's activity must not leak in.
 */
import { expect, it } from 'vitest';
import type { AnalyticsOverview } from '../../src/services/analytics/overview.service.js';
import { adjustPoints } from '../../src/services/adjustments.service.js';
import { issueApiKey } from '../../src/services/api-keys.service.js';
import { redeemReward } from '../../src/services/rewards/redeem-reward.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenPurchase, givenReward } from '../support/factories.js';

forEachDialect('analytics api', (db) => {
  const api = useApi(db);

  /** C joins on 1 March; A on 10 March buys €50 and on the 13th redeems 20 points; B on 12 March buys €30 and loses 5 points on the 14th. */
  async function craftedWeek() {
    const { programId, apiKey } = await givenProgram(db.ctx);
    db.clock.set('2026-03-01T09:00:00Z');
    await givenMember(db.ctx, programId);
    db.clock.set('2026-03-10T08:00:00Z');
    const a = await givenMember(db.ctx, programId);
    await givenPurchase(db.ctx, programId, a.id, 5_000);
    // 23:30 on the 11th in Amsterdam is 22:30 UTC: still the 11th for the shop, though not in UTC+0 terms of the 12th.
    db.clock.set('2026-03-11T22:30:00Z');
    const b = await givenMember(db.ctx, programId);
    db.clock.set('2026-03-12T10:00:00Z');
    await givenPurchase(db.ctx, programId, b.id, 3_000);
    db.clock.set('2026-03-13T10:00:00Z');
    const reward = await givenReward(db.ctx, programId, { pointsCost: 20 });
    await redeemReward(db.ctx, programId, a.id, { rewardId: reward.id });
    db.clock.set('2026-03-14T10:00:00Z');
    await adjustPoints(db.ctx, programId, b.id, { points: -5, reason: 'goodwill reversed' });
    db.clock.set('2026-03-16T12:00:00Z');
    return { programId, apiKey, client: api.as(apiKey) };
  }

  // Monday 9 March 00:00 to Monday 16 March 00:00, Amsterdam time (UTC+1).
  const week = 'from=2026-03-08T23:00:00Z&to=2026-03-15T23:00:00Z';

  it('counts members, points, redemptions, tiers and a day series in the shop’s days', async () => {
    const { client } = await craftedWeek();
    const response = await client.get(`/v1/analytics/overview?${week}`);
    expect(response.statusCode, response.body).toBe(200);
    const overview = response.json<AnalyticsOverview>();
    expect(overview).toMatchObject({
      interval: 'day',
      timezone: 'Europe/Amsterdam',
      members: { total: 3, new: 2, active: 2 },
      points: { issued: 80, takenBack: 5, redeemed: 20, expired: 0, outstanding: 55 },
      redemptions: 1,
      redemptionRate: 0.25,
      tiers: [{ tier: null, members: 3 }],
      referrals: { clicks: 0, signUps: 0, qualified: 0, rewarded: 0 },
    });
    expect(overview.series.map((p) => [p.bucket, p.newMembers, p.pointsIssued, p.pointsRedeemed])).toEqual([
      ['2026-03-09', 0, 0, 0],
      ['2026-03-10', 1, 50, 0],
      ['2026-03-11', 1, 0, 0],
      ['2026-03-12', 0, 30, 0],
      ['2026-03-13', 0, 0, 20],
      ['2026-03-14', 0, 0, 0],
      ['2026-03-15', 0, 0, 0],
    ]);
    expect(overview.series[0]?.from).toBe('2026-03-08T23:00:00.000Z');
  });

  it('says what members held at the end of an earlier period, and buckets by week', async () => {
    const { client } = await craftedWeek();
    const early = (await client.get('/v1/analytics/overview?from=2026-03-01T00:00:00Z&to=2026-03-12T00:00:00Z')).json<AnalyticsOverview>();
    expect(early.points).toEqual({ issued: 50, takenBack: 0, redeemed: 0, expired: 0, outstanding: 50 });
    expect(early.members).toEqual({ total: 3, new: 3, active: 1 });
    const weekly = (await client.get('/v1/analytics/overview?from=2026-02-28T23:00:00Z&to=2026-03-15T23:00:00Z&interval=week')).json<AnalyticsOverview>();
    expect(weekly.series.map((p) => [p.bucket, p.newMembers, p.pointsIssued])).toEqual([['2026-02-23', 1, 0], ['2026-03-02', 0, 0], ['2026-03-09', 2, 80]]);
  });

  it("does not count another programme's activity", async () => {
    const { client } = await craftedWeek();
    const before = (await client.get(`/v1/analytics/overview?${week}`)).json<AnalyticsOverview>();
    const other = await givenProgram(db.ctx);
    db.clock.set('2026-03-12T10:00:00Z');
    const stranger = await givenMember(db.ctx, other.programId);
    await givenPurchase(db.ctx, other.programId, stranger.id, 90_000);
    expect((await client.get(`/v1/analytics/overview?${week}`)).json<AnalyticsOverview>()).toEqual(before);
  });

  it('refuses a bad period at its pointer, too many buckets at /interval, and keys without analytics:read', async () => {
    const { client, programId } = await craftedWeek();
    expectProblem(await client.get('/v1/analytics/overview?from=2026-03-10T00:00:00Z&to=2026-03-01T00:00:00Z'), 400, 'validation_failed', '/to');
    expectProblem(await client.get('/v1/analytics/overview?to=2026-03-01T00:00:00Z'), 400, 'validation_failed', '/querystring/from');
    expectProblem(await client.get('/v1/analytics/overview?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&interval=day'), 400, 'validation_failed', '/interval');
    expectProblem(await client.get(`/v1/analytics/overview?${week}&interval=hour`), 400, 'validation_failed', '/querystring/interval');
    const reader = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'members only', ['members:read']));
    expectProblem(await api.as(reader).get(`/v1/analytics/overview?${week}`), 403, 'insufficient_scope');
    const analyst = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'analyst', ['analytics:read']));
    expect((await api.as(analyst).get(`/v1/analytics/overview?${week}`)).statusCode).toBe(200);
  });
});
