/**
 * Retention of the outbox and the webhook log: settled deliveries (and their attempts) and the messages they
 * carried go once older than the retention period; what is still pending, or was never dispatched, stays.
 * Ids are made on the system clock, so the test moves its clock beyond the real present.
 */
import { afterEach, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context.js';
import { enrolMember } from '../../src/services/members.service.js';
import { deliverWebhooks } from '../../src/services/webhooks/deliver.js';
import { dispatchOutbox } from '../../src/services/webhooks/dispatch.js';
import { createWebhookEndpoint } from '../../src/services/webhooks/endpoints.service.js';
import { pruneWebhookHistory } from '../../src/services/webhooks/retention.js';
import { forEachDialect } from '../support/dialects.js';
import { givenProgram } from '../support/factories.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const DAY = 86_400_000;

async function counts(ctx: ServiceContext, programId: string) {
  const count = async (table: 'outboxMessages' | 'webhookDeliveries' | 'webhookAttempts') =>
    Number((await ctx.storage.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('programId', '=', programId).executeTakeFirstOrThrow()).n);
  return { messages: await count('outboxMessages'), deliveries: await count('webhookDeliveries'), attempts: await count('webhookAttempts') };
}

forEachDialect('webhook retention', (db) => {
  const receivers: WebhookReceiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it('deletes settled deliveries and their messages after 30 days, and keeps pending and undispatched ones', async () => {
    db.clock.current = Date.now();
    const { programId } = await givenProgram(db.ctx);
    const healthy = await startWebhookReceiver({ now: () => db.clock.now() });
    const broken = await startWebhookReceiver({ now: () => db.clock.now() });
    receivers.push(healthy, broken);
    broken.failAlways(503);
    await createWebhookEndpoint(db.ctx, programId, { url: healthy.url, eventTypes: ['member.created'] });
    await createWebhookEndpoint(db.ctx, programId, { url: broken.url, eventTypes: ['member.updated'] });
    const { updateMember } = await import('../../src/services/members.service.js');
    const anna = await enrolMember(db.ctx, programId, { externalId: 'anna' });
    await enrolMember(db.ctx, programId, { externalId: 'bram' });
    await updateMember(db.ctx, programId, anna.id, { locale: 'nl' });
    await dispatchOutbox(db.ctx);
    await deliverWebhooks(db.ctx, { workerId: 'w' });
    expect(healthy.requests).toHaveLength(2);
    expect(broken.requests).toHaveLength(1);
    // A message written after the fan-out is not dispatched yet.
    await enrolMember(db.ctx, programId, { externalId: 'cees' });
    expect(await counts(db.ctx, programId)).toEqual({ messages: 4, deliveries: 3, attempts: 3 });

    db.clock.current = Date.now() + 29 * DAY;
    expect(await pruneWebhookHistory(db.ctx)).toEqual({ deliveries: 0, messages: 0 });

    db.clock.current = Date.now() + 31 * DAY;
    expect(await pruneWebhookHistory(db.ctx)).toEqual({ deliveries: 2, messages: 2 });
    // Left: the pending delivery to the broken endpoint with its message and attempt, and the undispatched message.
    expect(await counts(db.ctx, programId)).toEqual({ messages: 2, deliveries: 1, attempts: 1 });
    const left = await db.ctx.storage.db.selectFrom('outboxMessages').select(['type', 'dispatchedAt']).where('programId', '=', programId).orderBy('id').execute();
    expect(left.map((m) => [m.type, m.dispatchedAt === null])).toEqual([
      ['member.updated', false],
      ['member.created', true],
    ]);
    expect(await pruneWebhookHistory(db.ctx)).toEqual({ deliveries: 0, messages: 0 });
  });
});
