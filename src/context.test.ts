import { describe, expect, it } from 'vitest';
import { idAt, typeIds } from './context.js';

describe('idAt', () => {
  it('falls between the ids made just before and just after its instant', () => {
    const before = Date.now();
    const id = typeIds.next('msg');
    const after = Date.now();
    expect(idAt('msg', before) <= id).toBe(true);
    expect(idAt('msg', after + 1) > id).toBe(true);
    expect(idAt('msg', before - 1) < id).toBe(true);
  });

  it('keeps the prefix and the shape of an id', () => {
    expect(idAt('dlv', Date.parse('2026-03-15T12:00:00Z'))).toMatch(/^dlv_[0-9a-z]{26}$/);
  });
});
