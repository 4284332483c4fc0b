/**
 * Reward pictures over HTTP, on every dialect: `PUT /v1/rewards/{id}/image` takes a PNG, JPEG, WebP or GIF
 * whose bytes are what its Content-Type says, the reward's `imageUrl` names it, and the public media route
 * serves it with caching and hardening headers. Refusals write nothing.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/services/api-keys.service.js';
import type { RewardView } from '../../src/services/rewards/reward-views.js';
import type { Page } from '../../src/services/views.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { expectProblem, useApi } from '../support/api.js';
import { forEachDialect, type TestDatabase } from '../support/dialects.js';
import { givenProgram, givenReward } from '../support/factories.js';

// A 1×1 PNG and a GIF: real files, so the signatures are the ones browsers see.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

async function footprint(db: TestDatabase) {
  const raw = db.ctx.storage.db.withoutPlugins();
  return {
    images: (await sql`select program_id, reward_id, version from reward_images order by reward_id`.execute(raw)).rows,
    rewards: (await sql`select id, image_version, updated_at from rewards order by id`.execute(raw)).rows,
  };
}

forEachDialect('reward images api', (db) => {
  const api = useApi(db);

  async function setup() {
    const { programId, apiKey } = await givenProgram(db.ctx);
    const reward = await givenReward(db.ctx, programId);
    const put = (body: Buffer | string, contentType: string, key = apiKey, rewardId = reward.id) =>
      api.request({ method: 'PUT', url: `/v1/rewards/${rewardId}/image`, headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, payload: body });
    return { programId, apiKey, reward, put, client: api.as(apiKey) };
  }

  describe('PUT /v1/rewards/{id}/image', () => {
    it('sets the picture; the reward names it and the media route serves it publicly, cacheable for good', async () => {
      const { programId, reward, put, client } = await setup();
      const response = await put(png, 'image/png');
      expect(response.statusCode, response.body).toBe(200);
      const imageUrl = response.json<RewardView>().imageUrl;
      expect(imageUrl).toMatch(new RegExp(`^/media/${programId}/rewards/${reward.id}/[0-9a-f]{16}$`));
      expect((await client.get(`/v1/rewards/${reward.id}`)).json<RewardView>().imageUrl).toBe(imageUrl);
      expect((await client.get('/v1/rewards')).json<Page<RewardView>>().data[0]?.imageUrl).toBe(imageUrl);

      const served = await api.request({ method: 'GET', url: imageUrl ?? '' });
      expect(served.statusCode).toBe(200);
      expect(served.rawPayload.equals(png)).toBe(true);
      expect(served.headers).toMatchObject({
        'content-type': 'image/png',
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'",
      });
    });

    it('a new picture gets a new URL and the old one is gone; DELETE removes it', async () => {
      const { reward, put, client } = await setup();
      const first = (await put(png, 'image/png')).json<RewardView>().imageUrl ?? '';
      const second = (await put(gif, 'image/gif')).json<RewardView>().imageUrl ?? '';
      expect(second).not.toBe(first);
      expect((await api.request({ method: 'GET', url: first })).statusCode).toBe(404);
      const served = await api.request({ method: 'GET', url: second });
      expect([served.statusCode, served.headers['content-type']]).toEqual([200, 'image/gif']);

      const removed = await client.delete(`/v1/rewards/${reward.id}/image`);
      expect(removed.statusCode).toBe(200);
      expect(removed.json<RewardView>().imageUrl).toBeNull();
      expect((await api.request({ method: 'GET', url: second })).statusCode).toBe(404);
    });

    it.each([
      ['an SVG', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'image/svg+xml', 415, 'unsupported_media_type'],
      ['JSON', '{"url":"https://example.com/x.png"}', 'application/json', 415, 'unsupported_media_type'],
      ['HTML sent as a PNG', '<!doctype html><script>alert(1)</script>', 'image/png', 422, 'reward_image_invalid'],
      ['a PNG sent as a JPEG', png, 'image/jpeg', 422, 'reward_image_invalid'],
      ['an empty body', Buffer.alloc(0), 'image/png', 422, 'reward_image_invalid'],
      ['a picture over 512 KB', Buffer.concat([png, Buffer.alloc(600 * 1024)]), 'image/png', 413, 'body_too_large'],
    ] as const)('refuses %s and writes nothing', async (_name, body, contentType, status, code) => {
      const { put } = await setup();
      const before = await footprint(db);
      expectProblem(await put(body, contentType), status, code);
      expect(await footprint(db)).toEqual(before);
    });

    it('is 403 without rewards:write and 404 for another programme’s reward; the media route is 404 under another programme', async () => {
      const { programId, put } = await setup();
      const other = await givenProgram(db.ctx, { name: 'Other' });
      const reader = await inTransaction(db.ctx.storage, (trx) => issueApiKey(db.ctx, trx, programId, 'reader', ['rewards:read']));
      const before = await footprint(db);
      expectProblem(await put(png, 'image/png', reader), 403, 'insufficient_scope');
      expectProblem(await put(png, 'image/png', other.apiKey), 404, 'reward_not_found');
      expect(await footprint(db)).toEqual(before);
      const imageUrl = (await put(png, 'image/png')).json<RewardView>().imageUrl ?? '';
      expect((await api.request({ method: 'GET', url: imageUrl.replace(programId, other.programId) })).statusCode).toBe(404);
    });
  });
});
