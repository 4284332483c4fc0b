// Regenerates web/src/api/schema.d.ts from the OpenAPI snapshot (docs/openapi.json, kept current by
// test/api/openapi.api.test.ts). Run after an API change: `node web/scripts/gen-api.mjs`.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
execFileSync('npx', ['openapi-typescript', 'docs/openapi.json', '-o', 'web/src/api/schema.d.ts'], { cwd: repo, stdio: 'inherit' });
