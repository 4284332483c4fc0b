import pino from 'pino';
import { expect, it } from 'vitest';
import { typeIds, systemClock } from '../../src/context.js';
import { buildApp } from '../../src/http/app.js';
import { openStorage } from '../../src/storage/db.js';
import { createPiiCipher } from '../../src/storage/pii.js';
import { TEST_ENCRYPTION_KEY } from '../support/dialects.js';

/**
 * The OpenAPI document is generated from the route schemas; this snapshot (docs/openapi.json) makes every API
 * change visible in review. After an intended change: `npx vitest run test/api/openapi.api.test.ts -u`.
 * The document does not depend on the database, so one in-memory SQLite suffices.
 */
it('the OpenAPI document matches the reviewed snapshot', async () => {
  const storage = openStorage({ databaseUrl: null, sqlitePath: ':memory:' });
  const app = await buildApp({ storage, clock: systemClock, ids: typeIds, pii: createPiiCipher(TEST_ENCRYPTION_KEY), logger: pino({ level: 'silent' }), policy: { allowPrivateWebhookUrls: true } });
  try {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    await expect(JSON.stringify(response.json(), null, 2) + '\n').toMatchFileSnapshot('../../docs/openapi.json');
  } finally {
    await app.close();
    await storage.close();
  }
});
