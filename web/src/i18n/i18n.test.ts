import { describe, expect, it } from 'vitest';
import en from './en.json';
import nl from './nl.json';

function leaves(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      for (const [path, leaf] of leaves(child, prefix ? `${prefix}.${key}` : key)) out.set(path, leaf);
    }
  } else {
    out.set(prefix, value);
  }
  return out;
}

describe('translations', () => {
  it('English and Dutch have exactly the same keys', () => {
    const enKeys = [...leaves(en).keys()].sort();
    const nlKeys = [...leaves(nl).keys()].sort();
    expect(nlKeys.filter((key) => !enKeys.includes(key))).toEqual([]);
    expect(enKeys.filter((key) => !nlKeys.includes(key))).toEqual([]);
  });

  it('no value is empty and every value is a string', () => {
    for (const [name, resource] of [['en', en], ['nl', nl]] as const) {
      for (const [key, value] of leaves(resource)) {
        expect(typeof value, `${name}:${key}`).toBe('string');
        expect((value as string).trim(), `${name}:${key}`).not.toBe('');
      }
    }
  });

  it('both languages use the same interpolation variables per key', () => {
    const variables = (text: unknown) => [...String(text).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    const nlLeaves = leaves(nl);
    for (const [key, value] of leaves(en)) expect(variables(nlLeaves.get(key)), key).toEqual(variables(value));
  });
});
