/**
 * Which webhook URLs Trouw may call. A webhook is a request our server makes to an address a client chose, so
 * without a policy an API key could make the server reach its own loopback, the cloud metadata address or the
 * operator's private network (server-side request forgery). The rule:
 * - only `http:` and `https:` URLs, without fragments;
 * - every address the host stands for must be plain public unicast: anything ipaddr.js classifies otherwise
 *   (loopback, private, link-local, unique-local, carrier-grade NAT, multicast, broadcast, unspecified,
 *   reserved, documentation, 6to4/Teredo/NAT64 tunnels that embed an IPv4 address, …) is refused. IPv4-mapped
 *   IPv6 addresses (`::ffff:127.0.0.1`) are judged as the IPv4 address they carry.
 *
 * This module is pure: it parses and classifies. Resolving names, at creation and again for the address
 * actually connected to at delivery time, is `services/webhooks/address-guard.ts`. The operator switch
 * (TROUW_WEBHOOK_ALLOW_PRIVATE=1) is applied there too.
 */
import ipaddr from 'ipaddr.js';

export type ParsedWebhookUrl =
  | { ok: true; url: URL; /** The host without IPv6 brackets. */ host: string; /** Set when the host is an IP literal. */ address: string | null }
  | { ok: false; reason: string; malformed: boolean };

/** Parses a webhook URL and checks its form; the address policy is `addressRefusal`. */
export function parseWebhookUrl(text: string): ParsedWebhookUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'url is not an absolute URL.', malformed: true };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: `Webhook URLs are http: or https:, not ${url.protocol}`, malformed: false };
  }
  if (url.hash !== '') return { ok: false, reason: 'A webhook URL has no #fragment.', malformed: true };
  // WHATWG URL parsing already normalised odd IPv4 spellings (decimal, octal, short forms) to dotted quads.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') return { ok: false, reason: 'url has no host.', malformed: true };
  return { ok: true, url, host, address: ipaddr.isValid(host) ? host : null };
}

/**
 * Why an address may not be called, or null when it is public unicast. Anything that does not parse as an IP
 * address is refused as well: the caller only passes what DNS returned or what the URL spelled as a literal.
 */
export function addressRefusal(address: string): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  // process() turns an IPv4-mapped IPv6 address into the IPv4 address it carries, so ::ffff:10.0.0.1 is private.
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range === 'unicast') return null;
  return `${parsed.toString()} is a ${range} address`;
}
