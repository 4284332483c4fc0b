import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders, stubApi } from '../../test-utils';
import { PortalSettingsPage } from './PortalSettingsPage';

const settings = { slug: 'koffiebar', issuer: 'https://shop.example', audience: 'trouw:portal' };
const api = stubApi({
  'GET /v1/portal/settings': { status: 200, body: settings },
  'PATCH /v1/portal/settings': { status: 409, body: { title: 'Conflict', status: 409, code: 'program_slug_taken', detail: 'Taken.', errors: [{ pointer: '/slug', detail: 'Another programme uses this address.' }] } },
  'GET /v1/portal/keys': { status: 200, body: { data: [{ kid: 'pk_old', createdAt: '2026-01-01T00:00:00.000Z', revokedAt: null }] } },
  'POST /v1/portal/keys': { status: 201, body: { kid: 'pk_new', secret: 's3cret-shown-once', createdAt: '2026-03-14T00:00:00.000Z' } },
  'DELETE /v1/portal/keys/pk_old': { status: 200, body: { kid: 'pk_old', createdAt: '2026-01-01T00:00:00.000Z', revokedAt: '2026-03-14T00:00:00.000Z' } },
});
vi.stubGlobal('fetch', (request: Request) => api.fetch(request));

describe('portal settings', () => {
  it('shows the settings, a sample with the real issuer, audience and kid, makes a secret shown once, and revokes', async () => {
    renderWithProviders(<PortalSettingsPage />);
    expect(((await screen.findByLabelText(/^Address \(slug\)/)) as HTMLInputElement).value).toBe('koffiebar');
    await screen.findByText('pk_old');
    const sample = () => screen.getByText(/new SignJWT/).textContent ?? '';
    expect(sample()).toContain("kid: 'pk_old'");
    expect(sample()).toContain(".setIssuer('https://shop.example')");
    expect(sample()).toContain(".setAudience('trouw:portal')");
    expect(sample()).toContain('/p/koffiebar#token=');

    fireEvent.click(screen.getByRole('button', { name: 'Make a signing secret' }));
    expect(await screen.findByText('s3cret-shown-once')).toBeTruthy();
    expect(sample()).toContain("kid: 'pk_new'");

    fireEvent.click(screen.getByRole('button', { name: 'Revoke pk_old' }));
    await waitFor(() => expect(api.requests.some((request) => request.method === 'DELETE' && request.url.endsWith('/v1/portal/keys/pk_old'))).toBe(true));
  });

  it('shows a refused slug under its field', async () => {
    renderWithProviders(<PortalSettingsPage />);
    const slug = await screen.findByLabelText(/^Address \(slug\)/);
    fireEvent.change(slug, { target: { value: 'taken' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Another programme uses this address.')).toBeTruthy();
    const patch = api.requests.find((request) => request.method === 'PATCH')!;
    expect(await patch.clone().json()).toEqual({ ...settings, slug: 'taken' });
  });
});
