import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { paths } from '../../api/schema';
import type { Role } from '../../api/types';
import { renderWithProviders, sessionAs, SignedIn, stubApi } from '../../test-utils';
import { RewardPicture, RewardsPage } from './RewardsPage';

type Reward = paths['/v1/rewards']['get']['responses'][200]['content']['application/json']['data'][number];

let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

/** The input of a Mantine Select by its label (its dropdown list carries the same label). */
const inputLabelled = (label: string | RegExp, container: HTMLElement = document.body) =>
  within(container).getAllByLabelText(label).find((element) => element.tagName === 'INPUT') as HTMLElement;

const coffee: Reward = {
  id: 'rwd_1',
  name: { en: 'Free coffee', nl: 'Gratis koffie' },
  description: null,
  pointsCost: 300,
  kind: 'free_product',
  value: null,
  currency: null,
  maxDiscount: null,
  sku: 'COF-1',
  stock: null,
  redeemedCount: 4,
  imageUrl: null,
  limits: null,
  tiers: null,
  validFrom: null,
  validUntil: null,
  active: true,
  partnerId: null,
  audience: 'catalogue',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const pictureUrl = '/media/prg_1/rwd_1/0123456789abcdef';
// The first bytes of a PNG: the server checks them against the Content-Type.
const pngBytes = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d];

const fileInput = () => document.querySelector('input[type="file"]') as HTMLInputElement;

describe('reward picture', () => {
  beforeEach(() => {
    current = stubApi({});
  });

  it('sends the chosen file as the raw body with its content type to PUT /v1/rewards/{id}/image, then shows it', async () => {
    current = stubApi({ 'PUT /v1/rewards/rwd_1/image': { status: 200, body: { ...coffee, imageUrl: pictureUrl } } });
    renderWithProviders(<RewardPicture reward={coffee} canChange />);
    expect(screen.getByText('No picture yet.')).toBeTruthy();
    expect(fileInput().accept).toBe('image/png,image/jpeg,image/webp,image/gif');

    fireEvent.change(fileInput(), { target: { files: [new File([new Uint8Array(pngBytes)], 'coffee.png', { type: 'image/png' })] } });
    const picture = (await screen.findByRole('img', { name: 'Free coffee' })) as HTMLImageElement;
    expect(picture.getAttribute('src')).toBe(pictureUrl);

    expect(current.requests).toHaveLength(1);
    const put = current.requests[0]!;
    expect(put.method).toBe('PUT');
    expect(new URL(put.url).pathname).toBe('/v1/rewards/rwd_1/image');
    expect(put.headers.get('Content-Type')).toBe('image/png');
    expect([...new Uint8Array(await put.clone().arrayBuffer())]).toEqual(pngBytes);
    expect(screen.getByRole('button', { name: 'Replace picture' })).toBeTruthy();
  });

  it('refuses a picture over 512 KB, or of another type, without sending it', async () => {
    renderWithProviders(<RewardPicture reward={coffee} canChange />);
    fireEvent.change(fileInput(), { target: { files: [new File([new Uint8Array(512 * 1024 + 1)], 'big.png', { type: 'image/png' })] } });
    expect((await screen.findByRole('alert')).textContent).toBe("This picture is 513 KB; a reward's picture is at most 512 KB. Make it smaller and try again.");
    fireEvent.change(fileInput(), { target: { files: [new File(['<svg/>'], 'logo.svg', { type: 'image/svg+xml' })] } });
    expect((await screen.findByRole('alert')).textContent).toBe('Choose a PNG, JPEG, WebP or GIF picture.');
    expect(current.requests).toHaveLength(0);
  });

  it('removes the picture with DELETE /v1/rewards/{id}/image', async () => {
    current = stubApi({ 'DELETE /v1/rewards/rwd_1/image': { status: 200, body: coffee } });
    renderWithProviders(<RewardPicture reward={{ ...coffee, imageUrl: pictureUrl }} canChange />);
    expect(screen.getByRole('img', { name: 'Free coffee' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Remove picture' }));
    expect(await screen.findByText('No picture yet.')).toBeTruthy();
    expect(screen.queryByRole('img')).toBeNull();
    expect(current.requests.map((request) => `${request.method} ${new URL(request.url).pathname}`)).toEqual(['DELETE /v1/rewards/rwd_1/image']);
  });
});

describe('rewards page', () => {
  const renderAs = (role: Role) => {
    current = stubApi({
      'GET /v1/auth/session': { status: 200, body: sessionAs(role) },
      'GET /v1/rewards': { status: 200, body: { data: [{ ...coffee, imageUrl: pictureUrl }, { ...coffee, id: 'rwd_2', name: 'Roastery tour', imageUrl: null }], nextCursor: null } },
    });
    renderWithProviders(
      <SignedIn>
        <RewardsPage />
      </SignedIn>,
    );
  };

  it('shows a thumbnail named after the reward in the list, and none for a reward without a picture', async () => {
    renderAs('manager');
    const table = await screen.findByRole('table');
    const thumbnail = await within(table).findByRole('img', { name: 'Free coffee' });
    expect(thumbnail.getAttribute('src')).toBe(pictureUrl);
    expect(within(table).getAllByRole('img')).toHaveLength(1);
  });

  it('lets a manager replace or remove the picture in the form', async () => {
    renderAs('manager');
    fireEvent.click(await screen.findByRole('button', { name: 'Edit Free coffee' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('img', { name: 'Free coffee' })).toBeTruthy();
    await waitFor(() => expect(within(dialog).getByRole('button', { name: 'Remove picture' })).toBeTruthy());
    expect(within(dialog).getByRole('button', { name: 'Replace picture' })).toBeTruthy();
  });

  it('shows support the catalogue with its pictures, and nothing to change it with', async () => {
    renderAs('support');
    expect((await screen.findByTestId('role')).textContent).toBe('support');
    expect(await screen.findByRole('img', { name: 'Free coffee' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Edit Free coffee' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'New reward' })).toBeNull();
    expect(screen.queryByRole('button', { name: /picture/ })).toBeNull();
  });
});

describe('who gets a reward', () => {
  const welcome: Reward = { ...coffee, id: 'rwd_3', name: { en: 'Welcome gift', nl: 'Welkomstcadeau' }, audience: 'referral' };

  beforeEach(() => {
    current = stubApi({
      'GET /v1/auth/session': { status: 200, body: sessionAs('manager') },
      'GET /v1/rewards': { status: 200, body: { data: [coffee, welcome], nextCursor: null } },
      'POST /v1/rewards': { status: 201, body: welcome },
    });
    renderWithProviders(
      <SignedIn>
        <RewardsPage />
      </SignedIn>,
    );
  });

  const listQueries = () =>
    current.requests.filter((r) => r.method === 'GET' && new URL(r.url).pathname === '/v1/rewards').map((r) => new URL(r.url).searchParams.get('audience'));

  it('lists every reward with who gets it, and filters by audience through the API', async () => {
    const table = await screen.findByRole('table');
    const row = (await within(table).findByText('Welcome gift')).closest('tr')!;
    expect(within(row).getByText('Referral programme only')).toBeTruthy();
    expect(within(within(table).getByText('Free coffee').closest('tr')!).getByText('Catalogue (for points)')).toBeTruthy();
    expect(listQueries()).toEqual(['all']);

    fireEvent.click(inputLabelled('Show'));
    fireEvent.click(await screen.findByRole('option', { name: 'Referral programme only', hidden: true }));
    await waitFor(() => expect(listQueries()).toEqual(['all', 'referral']));
  });

  it('sends the audience an admin picks when creating a reward', async () => {
    fireEvent.click(await screen.findByRole('button', { name: 'New reward' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByRole('textbox', { name: /^Name \(English\)/ }), { target: { value: 'Welcome gift' } });
    fireEvent.change(within(dialog).getByRole('textbox', { name: /^Points cost/ }), { target: { value: '100' } });
    fireEvent.change(within(dialog).getByRole('textbox', { name: /^Product code/ }), { target: { value: 'GIFT' } });
    fireEvent.click(inputLabelled(/^Who gets it/, dialog));
    const choices = await screen.findByRole('listbox', { name: /^Who gets it/, hidden: true });
    fireEvent.click(within(choices).getByRole('option', { name: 'Referral programme only', hidden: true }));
    expect(within(dialog).getByText('Only used if the reward is ever moved to the catalogue.')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(current.requests.some((r) => r.method === 'POST')).toBe(true));
    const post = current.requests.find((r) => r.method === 'POST')!;
    expect(await post.clone().json()).toMatchObject({ name: { en: 'Welcome gift' }, pointsCost: 100, audience: 'referral' });
  });
});
