/**
 * Applies the webhook URL policy of `domain/webhooks/url-policy.ts` where it needs the network:
 * - when an endpoint is created or its URL changed (`checkWebhookUrl`), the host is resolved and every address
 *   it resolves to must be public, so a client learns at once that a URL will never be called;
 * - at delivery time (`guardedLookup`), the check is made again on the addresses the connection will use. A
 *   name that resolved to a public address when the endpoint was saved may resolve to 127.0.0.1 later (DNS
 *   rebinding), so the creation-time check alone protects nothing. We pass `guardedLookup` as the `lookup`
 *   option of node:http/https `request`: Node's socket connects to exactly the address that lookup returns,
 *   so the address checked is the address connected to, with no second resolution in between. IP literals
 *   never go through `lookup`, so `literalRefusal` checks those before the request is made.
 * `policy.allowPrivateWebhookUrls` (TROUW_WEBHOOK_ALLOW_PRIVATE=1) switches the address checks off, for tests
 * and intranet deployments; the scheme check stays.
 */
import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { DomainError } from '../../domain/errors.js';
import { addressRefusal, parseWebhookUrl } from '../../domain/webhooks/url-policy.js';
import type { Policy } from '../../context.js';

/**
 * Checks a webhook URL for an endpoint and returns it normalised.
 * @throws DomainError validation_failed (not a URL), webhook_url_refused (scheme, or a non-public address)
 */
export async function checkWebhookUrl(policy: Policy, text: string, pointer = '/url'): Promise<string> {
  const parsed = parseWebhookUrl(text);
  if (!parsed.ok) throw DomainError.field(parsed.malformed ? 'validation_failed' : 'webhook_url_refused', pointer, parsed.reason);
  if (policy.allowPrivateWebhookUrls) return parsed.url.toString();
  const addresses = parsed.address !== null ? [parsed.address] : await resolve(parsed.host, pointer);
  for (const address of addresses) {
    const refusal = addressRefusal(address);
    if (refusal !== null) {
      const via = parsed.address !== null ? '' : ` (${parsed.host} resolves to it)`;
      throw DomainError.field('webhook_url_refused', pointer, `Webhook URLs must reach the public internet: ${refusal}${via}.`);
    }
  }
  return parsed.url.toString();
}

async function resolve(host: string, pointer: string): Promise<string[]> {
  try {
    const found = await dns.promises.lookup(host, { all: true, verbatim: true });
    return found.map((entry) => entry.address);
  } catch {
    throw DomainError.field('webhook_url_refused', pointer, `The host ${host} does not resolve, so it cannot be checked or called.`);
  }
}

/** Why the URL's IP-literal host may not be called at delivery time, or null (names are left to `guardedLookup`). */
export function literalRefusal(policy: Policy, url: URL): string | null {
  if (policy.allowPrivateWebhookUrls) return null;
  const parsed = parseWebhookUrl(url.toString());
  if (!parsed.ok) return parsed.reason;
  return parsed.address === null ? null : addressRefusal(parsed.address);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` replacement for `http.request({ lookup })` that fails the connection when any address the name
 * resolves to is not public. It answers in whichever shape the socket asked for (`all` or a single address).
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    for (const { address } of addresses) {
      const refusal = addressRefusal(address);
      if (refusal !== null) {
        const refused: NodeJS.ErrnoException = new Error(`address refused: ${refusal} (${hostname} resolves to it)`);
        refused.code = 'EADDRREFUSED';
        return callback(refused, []);
      }
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    return callback(null, first.address, first.family);
  });
}
