import { describe, expect, it } from 'vitest';
import { addressRefusal, parseWebhookUrl } from './url-policy.js';

describe('addressRefusal', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:192.168.1.1', 'private'],
    ['2002:7f00:1::', '6to4'],
    ['64:ff9b::7f00:1', 'rfc6052'],
  ])('refuses %s as %s', (address, range) => {
    expect(addressRefusal(address)).toContain(`is a ${range} address`);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(addressRefusal(address)).toBeNull();
  });

  it('refuses what is not an address', () => {
    expect(addressRefusal('example.com')).toBe('example.com is not an IP address');
  });
});

describe('parseWebhookUrl', () => {
  it('normalises odd IPv4 spellings to the address they mean', () => {
    for (const text of ['http://2130706433/', 'http://0x7f.0.0.1/', 'http://127.1/', 'http://0177.0.0.1/']) {
      const parsed = parseWebhookUrl(text);
      expect(parsed.ok && parsed.address, text).toBe('127.0.0.1');
    }
  });

  it('takes IPv6 literals out of their brackets and leaves names to DNS', () => {
    expect(parseWebhookUrl('https://[::1]:8443/x')).toMatchObject({ ok: true, host: '::1', address: '::1' });
    expect(parseWebhookUrl('https://shop.example/x')).toMatchObject({ ok: true, host: 'shop.example', address: null });
  });

  it('refuses other schemes, fragments and non-URLs', () => {
    expect(parseWebhookUrl('ftp://example.com/')).toMatchObject({ ok: false, malformed: false });
    expect(parseWebhookUrl('https://example.com/#x')).toMatchObject({ ok: false, malformed: true });
    expect(parseWebhookUrl('example.com/hooks')).toMatchObject({ ok: false, malformed: true });
  });
});
