/**
 * Webhook endpoints through the services on a real database: the URL policy with the operator's switch off
 * (resolving real names such as `localhost`), subscriptions, the stored secret, soft deletion, and that every
 * refusal writes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { DomainError } from '../../src/domain/errors.js';
import { listWebhookDeliveries } from '../../src/services/webhooks/deliveries.service.js';
import { dispatchOutbox } from '../../src/services/webhooks/dispatch.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookEndpoints,
  rotateWebhookSecret,
  updateWebhookEndpoint,
} from '../../src/services/webhooks/endpoints.service.js';
import { forEachDialect } from '../support/dialects.js';
import { givenMember, givenProgram } from '../support/factories.js';

/** Runs `fn` and returns the DomainError it threw (failing the test if it threw nothing or something else). */
async function domainError(fn: () => Promise<unknown>): Promise<DomainError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

forEachDialect('webhook endpoints', (db) => {
  const strict = (): ServiceContext => ({ ...db.ctx, policy: { allowPrivateWebhookUrls: false } });

  async function endpointRows() {
    return db.ctx.storage.db.selectFrom('webhookEndpoints').selectAll().execute();
  }

  describe('URL policy with private addresses not allowed', () => {
    const refused = [
      'http://localhost/hooks',
      'http://LOCALHOST:8080/hooks',
      'http://127.0.0.1/hooks',
      'http://127.1/hooks',
      'http://2130706433/hooks',
      'http://0x7f000001/hooks',
      'http://10.1.2.3/hooks',
      'http://172.16.0.5/hooks',
      'http://192.168.1.10/hooks',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/hooks',
      'http://0.0.0.0/hooks',
      'http://224.0.0.1/hooks',
      'http://255.255.255.255/hooks',
      'http://[::1]/hooks',
      'http://[::]/hooks',
      'http://[::ffff:127.0.0.1]/hooks',
      'http://[::ffff:10.0.0.1]/hooks',
      'http://[fe80::1]/hooks',
      'http://[fd12:3456::1]/hooks',
      'http://[ff02::1]/hooks',
    ];

    it.each(refused)('refuses %s with webhook_url_refused at /url and writes nothing', async (url) => {
      const { programId } = await givenProgram(db.ctx);
      const error = await domainError(() => createWebhookEndpoint(strict(), programId, { url, eventTypes: ['*'] }));
      expect(error.code).toBe('webhook_url_refused');
      expect(error.errors.map((e) => e.pointer)).toEqual(['/url']);
      expect(error.detail).toMatch(/is a (loopback|private|linkLocal|uniqueLocal|carrierGradeNat|unspecified|multicast|broadcast) address/);
      expect(await endpointRows()).toEqual([]);
    });

    it('names the host when a name resolves to a refused address', async () => {
      const { programId } = await givenProgram(db.ctx);
      const error = await domainError(() => createWebhookEndpoint(strict(), programId, { url: 'http://localhost:9/x', eventTypes: ['*'] }));
      expect(error.detail).toMatch(/loopback address \(localhost resolves to it\)/);
    });

    it('refuses schemes other than http and https, and a name that does not resolve', async () => {
      const { programId } = await givenProgram(db.ctx);
      for (const url of ['ftp://93.184.216.34/x', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://93.184.216.34/']) {
        const error = await domainError(() => createWebhookEndpoint(strict(), programId, { url, eventTypes: ['*'] }));
        expect(error.code, url).toBe('webhook_url_refused');
        expect(error.errors[0]?.pointer).toBe('/url');
      }
      const unresolvable = await domainError(() => createWebhookEndpoint(strict(), programId, { url: 'https://no-such-host.invalid/hooks', eventTypes: ['*'] }));
      expect(unresolvable).toMatchObject({ code: 'webhook_url_refused', errors: [{ pointer: '/url' }] });
      expect(await endpointRows()).toEqual([]);
    });

    it('reports a string that is not a URL as validation_failed at /url', async () => {
      const { programId } = await givenProgram(db.ctx);
      for (const url of ['not a url', '/relative/path', 'https://example.com/#fragment']) {
        const error = await domainError(() => createWebhookEndpoint(strict(), programId, { url, eventTypes: ['*'] }));
        expect(error.code, url).toBe('validation_failed');
        expect(error.errors.map((e) => e.pointer)).toEqual(['/url']);
      }
      expect(await endpointRows()).toEqual([]);
    });

    it('accepts a public address', async () => {
      const { programId } = await givenProgram(db.ctx);
      const endpoint = await createWebhookEndpoint(strict(), programId, { url: 'https://93.184.216.34/hooks?shop=1', eventTypes: ['*'] });
      expect(endpoint.url).toBe('https://93.184.216.34/hooks?shop=1');
    });

    it('checks a changed URL too, and leaves the endpoint as it was when refused', async () => {
      const { programId } = await givenProgram(db.ctx);
      const endpoint = await createWebhookEndpoint(strict(), programId, { url: 'https://93.184.216.34/hooks', eventTypes: ['*'] });
      const error = await domainError(() => updateWebhookEndpoint(strict(), programId, endpoint.id, { url: 'http://[::1]:3000/', description: 'moved' }));
      expect(error).toMatchObject({ code: 'webhook_url_refused', errors: [{ pointer: '/url' }] });
      const { secret: _secret, ...view } = endpoint;
      expect(await getWebhookEndpoint(db.ctx, programId, endpoint.id)).toEqual(view);
    });

    it('allows loopback and private addresses when the operator switch is on', async () => {
      const { programId } = await givenProgram(db.ctx);
      expect(db.ctx.policy.allowPrivateWebhookUrls).toBe(true);
      for (const url of ['http://localhost:3000/hooks', 'http://10.0.0.8/hooks', 'http://[::1]/hooks']) {
        await createWebhookEndpoint(db.ctx, programId, { url, eventTypes: ['*'] });
      }
      expect(await endpointRows()).toHaveLength(3);
      // The scheme rule still holds.
      const error = await domainError(() => createWebhookEndpoint(db.ctx, programId, { url: 'ftp://localhost/', eventTypes: ['*'] }));
      expect(error.code).toBe('webhook_url_refused');
    });
  });

  describe('subscriptions', () => {
    it('refuses an unknown event type, naming its index, and writes nothing', async () => {
      const { programId } = await givenProgram(db.ctx);
      const error = await domainError(() => createWebhookEndpoint(db.ctx, programId, { url: 'http://127.0.0.1/x', eventTypes: ['member.created', 'member.exploded'] }));
      expect(error).toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/eventTypes/1' }] });
      expect(error.detail).toContain('member.exploded');
      const star = await domainError(() => createWebhookEndpoint(db.ctx, programId, { url: 'http://127.0.0.1/x', eventTypes: ['points.earned', '*'] }));
      expect(star).toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/eventTypes/1' }] });
      const none = await domainError(() => createWebhookEndpoint(db.ctx, programId, { url: 'http://127.0.0.1/x', eventTypes: [] }));
      expect(none).toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/eventTypes' }] });
      expect(await endpointRows()).toEqual([]);
    });

    it('keeps the types given, without duplicates', async () => {
      const { programId } = await givenProgram(db.ctx);
      const endpoint = await createWebhookEndpoint(db.ctx, programId, { url: 'http://127.0.0.1/x', eventTypes: ['points.earned', 'member.created', 'points.earned'] });
      expect(endpoint.eventTypes).toEqual(['points.earned', 'member.created']);
    });
  });

  describe('secrets', () => {
    it('returns a Standard Webhooks secret once and stores it only encrypted', async () => {
      const { programId } = await givenProgram(db.ctx);
      const endpoint = await createWebhookEndpoint(db.ctx, programId, { url: 'http://127.0.0.1/x', eventTypes: ['*'] });
      expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(endpoint.secret.slice(6), 'base64')).toHaveLength(32);
      const [row] = await endpointRows();
      expect(JSON.stringify(row)).not.toContain(endpoint.secret.slice(6));
      expect(db.ctx.pii.decrypt(row?.secretCipher ?? '')).toBe(endpoint.secret);
      expect(await getWebhookEndpoint(db.ctx, programId, endpoint.id)).not.toHaveProperty('secret');
    });

    it('rotation gives a new secret and keeps the old one for a day', async () => {
      const { programId } = await givenProgram(db.ctx);
      const endpoint = await createWebhookEndpoint(db.ctx, programId, { url: 'http://127.0.0.1/x', eventTypes: ['*'] });
      const rotated = await rotateWebhookSecret(db.ctx, programId, endpoint.id);
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(endpoint.secret);
      const [row] = await endpointRows();
      expect(db.ctx.pii.decrypt(row?.secretCipher ?? '')).toBe(rotated.secret);
      expect(db.ctx.pii.decrypt(row?.previousSecretCipher ?? '')).toBe(endpoint.secret);
      expect(row?.previousSecretUntil).toBe(db.clock.now() + 86_400_000);
    });
  });

  describe('tenancy and deletion', () => {
    it("treats another programme's endpoint as not found for every operation", async () => {
      const mine = await givenProgram(db.ctx);
      const theirs = await givenProgram(db.ctx);
      const endpoint = await createWebhookEndpoint(db.ctx, theirs.programId, { url: 'http://127.0.0.1/x', eventTypes: ['*'] });
      const attempts: (() => Promise<unknown>)[] = [
        () => getWebhookEndpoint(db.ctx, mine.programId, endpoint.id),
        () => updateWebhookEndpoint(db.ctx, mine.programId, endpoint.id, { enabled: false }),
        () => rotateWebhookSecret(db.ctx, mine.programId, endpoint.id),
        () => deleteWebhookEndpoint(db.ctx, mine.programId, endpoint.id),
        () => listWebhookDeliveries(db.ctx, mine.programId, endpoint.id),
      ];
      for (const attempt of attempts) expect((await domainError(attempt)).code).toBe('webhook_endpoint_not_found');
      expect((await listWebhookEndpoints(db.ctx, mine.programId)).data).toEqual([]);
      const [row] = await endpointRows();
      expect(row).toMatchObject({ enabled: 1, deletedAt: null, secretCipher: expect.any(String) });
      expect(db.ctx.pii.decrypt(row?.secretCipher ?? '')).toBe(endpoint.secret);
    });

    it('deletes softly: the endpoint is gone from the API and gets nothing more, its pending deliveries are failed and kept', async () => {
      const { programId } = await givenProgram(db.ctx);
      const endpoint = await createWebhookEndpoint(db.ctx, programId, { url: 'http://127.0.0.1:9/x', eventTypes: ['*'] });
      await givenMember(db.ctx, programId);
      await dispatchOutbox(db.ctx);
      await deleteWebhookEndpoint(db.ctx, programId, endpoint.id);

      expect((await domainError(() => getWebhookEndpoint(db.ctx, programId, endpoint.id))).code).toBe('webhook_endpoint_not_found');
      expect((await listWebhookEndpoints(db.ctx, programId)).data).toEqual([]);
      const deliveries = await db.ctx.storage.db.selectFrom('webhookDeliveries').selectAll().execute();
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ status: 'failed', lastError: 'The endpoint was deleted.', nextAttemptAt: null });

      await givenMember(db.ctx, programId);
      await dispatchOutbox(db.ctx);
      expect(await db.ctx.storage.db.selectFrom('webhookDeliveries').selectAll().execute()).toHaveLength(1);
      expect((await domainError(() => deleteWebhookEndpoint(db.ctx, programId, endpoint.id))).code).toBe('webhook_endpoint_not_found');
    });

    it('disabling through the API records a reason and stops new deliveries', async () => {
      const { programId } = await givenProgram(db.ctx);
      const endpoint = await createWebhookEndpoint(db.ctx, programId, { url: 'http://127.0.0.1:9/x', eventTypes: ['*'] });
      const disabled = await updateWebhookEndpoint(db.ctx, programId, endpoint.id, { enabled: false });
      expect(disabled).toMatchObject({ enabled: false, disabledReason: 'Disabled through the API.', disabledAt: '2026-03-15T12:00:00.000Z' });
      await givenMember(db.ctx, programId);
      expect(await dispatchOutbox(db.ctx)).toBe(1);
      expect(await db.ctx.storage.db.selectFrom('webhookDeliveries').selectAll().execute()).toEqual([]);
    });
  });
});
