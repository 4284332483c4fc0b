/**
 * What an endpoint subscribes to: a list of event types from the catalogue, or `["*"]` for every type, today's
 * and those added later. Pure.
 */
import { DomainError } from '../errors.js';
import { isWebhookEventType, webhookEventTypes } from './event-types.js';

export const allEventTypes = '*';

/**
 * Checks a subscription and returns it without duplicates, in the order given.
 * @throws DomainError validation_failed naming `/eventTypes/<index>` of the first unknown type
 */
export function checkSubscription(eventTypes: readonly string[], pointer = '/eventTypes'): string[] {
  if (eventTypes.length === 0) throw DomainError.field('validation_failed', pointer, 'Subscribe to at least one event type, or ["*"] for all.');
  const seen: string[] = [];
  for (const [index, type] of eventTypes.entries()) {
    if (type === allEventTypes) {
      if (eventTypes.some((other) => other !== allEventTypes)) {
        throw DomainError.field('validation_failed', `${pointer}/${index}`, '"*" already means every event type; give it alone.');
      }
    } else if (!isWebhookEventType(type)) {
      throw DomainError.field('validation_failed', `${pointer}/${index}`, `Unknown event type ${JSON.stringify(type)}; known types: ${webhookEventTypes.join(', ')}.`);
    }
    if (!seen.includes(type)) seen.push(type);
  }
  return seen;
}

/** True when an endpoint with this subscription wants messages of `type`. */
export function subscribesTo(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.includes(allEventTypes) || eventTypes.includes(type);
}
