// Lint: typescript-eslint's recommended rules plus the import direction of docs/ARCHITECTURE.md:
// http, cli, jobs -> services -> domain and storage; domain imports nothing of ours.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const layer = (patterns, message) => ['error', { patterns: patterns.map((group) => ({ group, message })) }];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The browser apps: hooks rules (including the React Compiler checks of v7) and browser globals.
    files: ['web/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat['recommended-latest'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', crypto: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['web/*.cjs', 'web/scripts/*.mjs'],
    languageOptions: { globals: { module: 'writable', URL: 'readonly' } },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': layer([['**/../src/**', '**/src/domain/**', '**/src/services/**']], 'The browser apps use /v1 through the typed client only.'),
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': layer(
        [['**/services/**', '**/storage/**', '**/http/**', '**/cli/**', '**/jobs/**', '**/context.js', '**/config.js', 'kysely', 'pg', 'better-sqlite3', 'fastify', 'node:*']],
        'The domain core is pure: no I/O, no storage, no HTTP.',
      ),
    },
  },
  {
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': layer([['**/http/**', '**/cli/**', '**/jobs/**', 'fastify']], 'Services know nothing of HTTP, the CLI or jobs.'),
    },
  },
  {
    files: ['src/storage/**/*.ts'],
    rules: {
      'no-restricted-imports': layer([['**/services/**', '**/http/**', '**/cli/**', '**/jobs/**']], 'Storage sits below the services.'),
    },
  },
);
