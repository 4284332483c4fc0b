import { describe, expect, it } from 'vitest';
import { isRewardImageType, sniffImageType } from './reward-image.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => Uint8Array.from([...text].map((c) => c.charCodeAt(0)));

describe('sniffImageType', () => {
  it('knows PNG, JPEG, GIF (87a and 89a) and WebP by their signatures', () => {
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0))).toBe('image/png');
    expect(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('image/jpeg');
    expect(sniffImageType(ascii('GIF87a....'))).toBe('image/gif');
    expect(sniffImageType(ascii('GIF89a....'))).toBe('image/gif');
    expect(sniffImageType(ascii('RIFF\u0000\u0000\u0000\u0000WEBPVP8 '))).toBe('image/webp');
  });

  it('refuses SVG, HTML, a RIFF that is not WebP, a truncated signature and nothing at all', () => {
    expect(sniffImageType(ascii('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))).toBeNull();
    expect(sniffImageType(ascii('<!doctype html>'))).toBeNull();
    expect(sniffImageType(ascii('RIFF\u0000\u0000\u0000\u0000WAVEfmt '))).toBeNull();
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e))).toBeNull();
    expect(sniffImageType(ascii('GIF88a'))).toBeNull();
    expect(sniffImageType(new Uint8Array())).toBeNull();
  });
});

describe('isRewardImageType', () => {
  it('takes the four raster types and nothing else', () => {
    expect(['image/png', 'image/jpeg', 'image/webp', 'image/gif'].every(isRewardImageType)).toBe(true);
    expect(isRewardImageType('image/svg+xml')).toBe(false);
    expect(isRewardImageType('text/html')).toBe(false);
  });
});
