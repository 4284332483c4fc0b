#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm ci` builds it through the prepare script.
import('../dist/cli/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('trouw is not built yet: run `npm run build` (npm ci does this for you).');
    process.exit(1);
  }
  throw error;
});
