import { describe, expect, it } from 'vitest';
import { forEachDialect } from '../support/dialects.js';
import { givenProgram } from '../support/factories.js';
import { problemOf, useApi } from '../support/api.js';

forEachDialect('api smoke', (db) => {
  const api = useApi(db);
  describe('POST /v1/members', () => {
    it('enrols a member with a key and refuses without one', async () => {
      const { apiKey } = await givenProgram(db.ctx);
      const created = await api.as(apiKey).post('/v1/members', { externalId: 'c-1', email: 'Anna@Example.com' });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ externalId: 'c-1', email: 'anna@example.com', balance: { available: 0, pending: 0 } });
      const anonymous = await api.request({ method: 'POST', url: '/v1/members', payload: { externalId: 'c-2' } });
      expect(anonymous.statusCode).toBe(401);
      expect(problemOf(anonymous).code).toBe('unauthenticated');
    });
  });
});
