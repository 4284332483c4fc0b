import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { checkEventDataLimits, eventDataLimits } from './event-data.js';

function refusal(data: Record<string, unknown>, pointer?: string): DomainError {
  try {
    checkEventDataLimits(data, pointer);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the data to be refused');
}

describe('checkEventDataLimits', () => {
  // {"t":"…"} is 8 bytes of JSON around the text.
  const padding = 8;

  it('counts the bytes of the JSON in UTF-8: a text of exactly the limit passes, one byte more does not', () => {
    expect(() => checkEventDataLimits({ t: 'a'.repeat(eventDataLimits.maxBytes - padding) })).not.toThrow();
    expect(refusal({ t: 'a'.repeat(eventDataLimits.maxBytes - padding + 1) }).errors[0]?.pointer).toBe('/data');
    // "é" is 2 bytes and "😀" 4 in UTF-8, though one and two UTF-16 units.
    expect(refusal({ t: 'é'.repeat((eventDataLimits.maxBytes - padding) / 2 + 1) }).code).toBe('event_data_too_large');
    expect(() => checkEventDataLimits({ t: '😀'.repeat((eventDataLimits.maxBytes - padding) / 4) })).not.toThrow();
    expect(refusal({ t: '😀'.repeat((eventDataLimits.maxBytes - padding) / 4 + 1) }).code).toBe('event_data_too_large');
  });

  it('names the list or map over 1,000 elements, escaping its key as a JSON pointer', () => {
    expect(() => checkEventDataLimits({ items: Array.from({ length: 1_000 }, () => 1) })).not.toThrow();
    expect(refusal({ 'a/b': { list: Array.from({ length: 1_001 }, () => 1) } }).errors[0]?.pointer).toBe('/data/a~1b/list');
    const keys = Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, i]));
    expect(refusal({ keys }, '/event/data').errors[0]?.pointer).toBe('/event/data/keys');
  });

  it('names the first list or map nested deeper than 10 levels', () => {
    const nested = (depth: number): unknown => (depth === 0 ? 1 : { n: nested(depth - 1) });
    // `data` itself is the first level, so it holds 9 more.
    expect(() => checkEventDataLimits({ n: nested(9) })).not.toThrow();
    expect(refusal({ n: nested(10) }).errors[0]?.pointer).toBe(`/data${'/n'.repeat(10)}`);
  });
});
