/**
 * The public referral link `GET /r/{programId}/{code}` (and the short `/r/{code}`), through `app.inject()`: a
 * click is recorded with a hashed IP, the user agent and UTM parameters, the visitor is redirected to the
 * landing page with `ref=CODE` and gets the first-party cookie; bad codes get a small HTML page, never a crash.
 */
import { describe, expect, it } from 'vitest';
import { customiseReferralCode } from '../../src/services/referrals/codes.service.js';
import { useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenMember, givenProgram, givenReferralProgram } from '../support/factories.js';

async function clicks(db: TestDatabase) {
  return db.ctx.storage.db.selectFrom('referralClicks').selectAll().orderBy('id').execute();
}

forEachDialect('referral links', (db) => {
  const api = useApi(db);

  describe('GET /r/{programId}/{code}', () => {
    it('records the click and redirects to the landing page with the code and a cookie', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId, { landingUrl: 'https://shop.example/join?lang=nl#top', validityDays: 14 });
      const member = await givenMember(db.ctx, programId);
      const response = await api.request({
        method: 'GET',
        url: `/r/${programId}/${member.referralCode.toLowerCase()}?utm_source=newsletter&utm_campaign=spring&other=x`,
        headers: { 'user-agent': 'Mozilla/5.0 (test)' },
        remoteAddress: '203.0.113.9',
      });
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toBe(`https://shop.example/join?lang=nl&ref=${member.referralCode}#top`);
      expect(response.headers['set-cookie']).toBe(`trouw_ref=${member.referralCode}; Max-Age=${14 * 86_400}; Path=/; SameSite=Lax; HttpOnly`);
      const [click] = await clicks(db);
      expect(click).toMatchObject({
        programId,
        referrerMemberId: member.id,
        code: member.referralCode,
        userAgent: 'Mozilla/5.0 (test)',
        landingUrl: `https://shop.example/join?lang=nl&ref=${member.referralCode}#top`,
        clickedAt: db.clock.now(),
      });
      expect(JSON.parse(click?.utm as string)).toEqual({ utm_source: 'newsletter', utm_campaign: 'spring' });
      // The address only as a keyed hash.
      expect(click?.ipHash).toBe(db.ctx.pii.blindIndex('ip:203.0.113.9'));
      expect(JSON.stringify(click)).not.toContain('203.0.113.9');
    });

    it('answers a small 404 page for unknown codes, garbage, a disabled programme and the wrong programme', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      const { programId: offProgram } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, offProgram, { enabled: false });
      const offMember = await givenMember(db.ctx, offProgram);
      const { programId: otherProgram } = await givenProgram(db.ctx);
      for (const url of [
        `/r/${programId}/NOSUCHCODE`,
        `/r/${programId}/%3Cscript%3E`,
        `/r/${programId}/${'A'.repeat(90)}`,
        `/r/${offProgram}/${offMember.referralCode}`,
        `/r/${otherProgram}/${member.referralCode}`,
        `/r/prg_unknown/${member.referralCode}`,
        '/r/ZZZZZZZZ',
      ]) {
        const response = await api.request({ method: 'GET', url });
        expect(response.statusCode, url).toBe(404);
        expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(response.body).toContain('This referral link does not work');
        expect(response.body).not.toMatch(/at .*\.ts|Error/);
        expect(response.headers['set-cookie']).toBeUndefined();
      }
      expect(await clicks(db)).toEqual([]);
    });
  });

  describe('GET /r/{code}', () => {
    it('works while one programme has the code, and refuses to guess when several have it', async () => {
      const { programId } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, programId);
      const member = await givenMember(db.ctx, programId);
      const response = await api.request({ method: 'GET', url: `/r/${member.referralCode}` });
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toBe(`https://shop.example/join?ref=${member.referralCode}`);

      await customiseReferralCode(db.ctx, programId, member.id, { code: 'SAMECODE' });
      const { programId: second } = await givenProgram(db.ctx);
      await givenReferralProgram(db.ctx, second);
      const twin = await givenMember(db.ctx, second);
      await customiseReferralCode(db.ctx, second, twin.id, { code: 'SAMECODE' });
      expect((await api.request({ method: 'GET', url: '/r/SAMECODE' })).statusCode).toBe(404);
      const canonical = await api.request({ method: 'GET', url: `/r/${second}/SAMECODE` });
      expect(canonical.statusCode).toBe(302);
      const rows = await clicks(db);
      expect(rows.map((r) => [r.programId, r.referrerMemberId])).toEqual([[programId, member.id], [second, twin.id]]);
    });
  });
});
