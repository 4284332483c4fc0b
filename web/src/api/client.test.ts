import { describe, expect, it } from 'vitest';
import { createAdminClient, createPortalClient, unwrap } from './client';
import { ProblemError } from './problem';

function recordingFetch(status = 200, body: unknown = {}) {
  const requests: Request[] = [];
  const fetch = async (input: Request) => {
    requests.push(input);
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  };
  return { requests, fetch: fetch as unknown as typeof globalThis.fetch };
}

describe('admin client', () => {
  it('names the programme on every request and sends the CSRF token on writes only', async () => {
    const { requests, fetch } = recordingFetch();
    const state = { csrfToken: 'csrf-1', programId: 'prg_1' };
    const client = createAdminClient({ baseUrl: 'http://localhost', fetch, state });

    await client.GET('/v1/program');
    await client.PATCH('/v1/program', { body: { name: 'Koffiebar' } });

    expect(requests[0]!.headers.get('Trouw-Program')).toBe('prg_1');
    expect(requests[0]!.headers.get('X-CSRF-Token')).toBeNull();
    expect(requests[1]!.method).toBe('PATCH');
    expect(requests[1]!.headers.get('Trouw-Program')).toBe('prg_1');
    expect(requests[1]!.headers.get('X-CSRF-Token')).toBe('csrf-1');
    expect(requests[1]!.credentials).toBe('include');
  });

  it('leaves the programme header off before one is chosen', async () => {
    const { requests, fetch } = recordingFetch();
    const client = createAdminClient({ baseUrl: 'http://localhost', fetch, state: { csrfToken: null, programId: null } });
    await client.POST('/v1/auth/login', { body: { email: 'a@example.com', password: 'pw' } });
    expect(requests[0]!.headers.get('Trouw-Program')).toBeNull();
    expect(requests[0]!.headers.get('X-CSRF-Token')).toBeNull();
  });

  it('unwrap throws the problem with its code', async () => {
    const { fetch } = recordingFetch(401, { title: 'Unauthorized', status: 401, code: 'invalid_credentials', detail: 'Wrong e-mail or password.' });
    const client = createAdminClient({ baseUrl: 'http://localhost', fetch, state: { csrfToken: null, programId: null } });
    const result = await client.POST('/v1/auth/login', { body: { email: 'a@example.com', password: 'x' } });
    expect(() => unwrap(result)).toThrow(ProblemError);
    try {
      unwrap(result);
    } catch (error) {
      expect((error as ProblemError).code).toBe('invalid_credentials');
    }
  });
});

describe('portal client', () => {
  it('sends the member token as a bearer and no cookie', async () => {
    const { requests, fetch } = recordingFetch();
    const client = createPortalClient('tok.en.jwt', { baseUrl: 'http://localhost', fetch });
    await client.GET('/v1/portal/{slug}/me', { params: { path: { slug: 'koffiebar' } } });
    expect(requests[0]!.url).toBe('http://localhost/v1/portal/koffiebar/me');
    expect(requests[0]!.headers.get('Authorization')).toBe('Bearer tok.en.jwt');
    expect(requests[0]!.credentials).toBe('omit');
  });
});
