/**
 * A burst of 10,000 clicks on one referral link, all in flight at once through `app.inject()` (the whole HTTP
 * path without a socket), must be counted exactly: every redirect means a committed click, none lost, none
 * doubled. Clicks are grouped into few transactions (services/referrals/clicks.service.ts); a few bad codes
 * mixed into the burst get their 404 page and write nothing.
 */
import { expect, it } from 'vitest';
import { useApi } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram, givenReferralProgram } from '../support/factories.js';

const BURST = 10_000;

forEachDialect('referral click burst', (db) => {
  const api = useApi(db);

  it(`counts a burst of ${BURST} clicks exactly`, { timeout: 120_000 }, async () => {
    const { programId } = await givenProgram(db.ctx);
    await givenReferralProgram(db.ctx, programId);
    const member = await givenMember(db.ctx, programId);
    const responses = await Promise.all(
      Array.from({ length: BURST + 50 }, (_, i) =>
        api.request({
          method: 'GET',
          url: i < BURST ? `/r/${programId}/${member.referralCode}?utm_source=s${i % 7}` : `/r/${programId}/BAD${i}`,
          remoteAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        }),
      ),
    );
    const statuses = new Map<number, number>();
    for (const response of responses) statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 302: BURST, 404: 50 });
    const counted = await db.ctx.storage.db
      .selectFrom('referralClicks')
      .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.count<string>('ipHash').distinct().as('ips')])
      .where('programId', '=', programId)
      .where('referrerMemberId', '=', member.id)
      .executeTakeFirstOrThrow();
    expect(Number(counted.n)).toBe(BURST);
    expect(Number(counted.ips)).toBe(BURST);
  });
});
