import { expect, it } from 'vitest';
import { forEachDialect } from '../support/dialects.js';
import { useApi } from '../support/api.js';

/**
 * The OpenAPI document is generated from the route schemas; this snapshot (docs/openapi.json) makes every API
 * change visible in review. After an intended change: `npx vitest run test/api/openapi.api.test.ts -u`.
 */
forEachDialect('openapi document', (db) => {
  const api = useApi(db);
  it('matches the reviewed snapshot', async () => {
    if (db.dialect !== 'sqlite') return; // the document does not depend on the database
    const response = await api.request({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    await expect(JSON.stringify(response.json(), null, 2) + '\n').toMatchFileSnapshot('../../docs/openapi.json');
  });
});
