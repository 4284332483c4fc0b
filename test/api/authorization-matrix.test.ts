/**
 * Every route with a scope, for every team role, on every dialect: a session user gets 403
 * insufficient_scope exactly when their role lacks the route's scope, and otherwise is neither 401 nor 403
 * (whatever else the route then answers to a made-up id or an empty body). The routes come from the app itself
 * (the auth plugin's onRoute record), so a new route is in the matrix without touching this test.
 */
import { expect, it } from 'vitest';
import { roleScopes, teamRoles } from '../../src/domain/roles.js';
import { hasScope } from '../../src/domain/scopes.js';
import { scopedRoutesOf } from '../../src/http/plugins/auth.js';
import { useApi } from '../support/api.js';
import { forEachDialect } from '../support/dialects.js';
import { givenProgram } from '../support/factories.js';
import { signedIn, type SessionClient } from '../support/sessions.js';

forEachDialect('authorisation matrix', (db) => {
  const api = useApi(db);

  it('a role is refused exactly the routes whose scope it lacks', async () => {
    const { programId } = await givenProgram(db.ctx);
    const users = new Map<string, SessionClient>();
    for (const role of teamRoles) users.set(role, await signedIn(api, db, programId, role));
    const routes = scopedRoutesOf(api.app());
    expect(routes.length).toBeGreaterThan(50);

    const mismatches: string[] = [];
    let refused = 0;
    for (const route of routes) {
      const url = route.url.replace(/:[A-Za-z]+/g, 'zz_not_there').replace('*', 'x');
      for (const role of teamRoles) {
        const user = users.get(role);
        if (!user) throw new Error(role);
        const response = route.method === 'GET' ? await user.get(url) : await user.send(route.method as 'POST', url, {});
        const allowed = hasScope(roleScopes[role], route.scope);
        const code = response.statusCode >= 400 ? (response.json<{ code?: string }>().code ?? '') : '';
        const ok = allowed ? response.statusCode !== 401 && response.statusCode !== 403 : response.statusCode === 403 && code === 'insufficient_scope';
        if (!allowed) refused++;
        if (!ok) mismatches.push(`${role} ${route.method} ${route.url} (${route.scope}): ${response.statusCode} ${code}`);
      }
    }
    console.log(`authorisation matrix [${db.dialect}]: ${routes.length} routes × ${teamRoles.length} roles = ${routes.length * teamRoles.length} checks, ${refused} refusals expected`);
    expect(mismatches).toEqual([]);
  }, 120_000);
});
