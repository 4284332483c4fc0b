/**
 * The catalogue of webhook event types: what the outbox records and what an endpoint can subscribe to. Each is
 * `<object>.<what happened>`, past tense except `points.expiring` (a warning ahead of the fact).
 */
export const webhookEventTypes = [
  'member.created',
  'member.updated',
  'member.erased',
  'points.earned',
  'points.released',
  'points.reversed',
  'points.spent',
  'points.expired',
  'points.expiring',
  'points.held',
  'points.hold_rejected',
  'points.adjusted',
  'tier.changed',
  'reward.redeemed',
  'redemption.cancelled',
  'coupon.used',
  'membership.started',
  'membership.renewed',
  'membership.ended',
  'referral.signed_up',
  'referral.qualified',
  'referral.rewarded',
  // The reward was due but a catalogue reward could not be given; nothing was given until a retry pays it.
  'referral.reward_failed',
  'referral.flagged',
  'referral.approved',
  'referral.rejected',
  'referral.expired',
  'referral.reversed',
  'bulk_operation.completed',
  // Sent only by POST /v1/webhooks/{id}/test, to that one endpoint, whatever it subscribes to.
  'webhook.test',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (webhookEventTypes as readonly string[]).includes(value);
}
