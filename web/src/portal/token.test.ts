import { beforeEach, describe, expect, it } from 'vitest';
import { slugOf, takeToken } from './token';

describe('the member token', () => {
  beforeEach(() => {
    window.sessionStorage.clear();
  });

  it('is taken from the fragment and removed from the address bar', () => {
    window.history.replaceState(null, '', '/p/koffiebar?embed=1#token=eyJ.abc.def');
    expect(takeToken()).toBe('eyJ.abc.def');
    expect(window.location.hash).toBe('');
    expect(window.location.pathname + window.location.search).toBe('/p/koffiebar?embed=1');
  });

  it('keeps other fragment parameters', () => {
    window.history.replaceState(null, '', '/p/koffiebar#token=t1&tab=rewards');
    expect(takeToken()).toBe('t1');
    expect(window.location.hash).toBe('#tab=rewards');
  });

  it('survives a reload in the same tab, and is absent without one', () => {
    window.history.replaceState(null, '', '/p/koffiebar');
    expect(takeToken()).toBeNull();
    window.history.replaceState(null, '', '/p/koffiebar#token=t2');
    takeToken();
    expect(takeToken()).toBe('t2');
  });

  it('reads the programme slug from the path', () => {
    expect(slugOf('/p/koffiebar')).toBe('koffiebar');
    expect(slugOf('/p/koffie%20bar/')).toBe('koffie bar');
    expect(slugOf('/admin/')).toBeNull();
  });
});
