import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { problemCodes } from '../domain/errors.js';
import { problemStatus, problemType } from './problems.js';

describe('problem catalogue', () => {
  const page = fs.readFileSync(new URL('../../docs/problems.md', import.meta.url), 'utf8');
  const headings = [...page.matchAll(/^## (\S+)$/gm)].map((m) => m[1]);

  it('has exactly one docs/problems.md heading per problem code, in the same order', () => {
    expect(headings).toEqual([...problemCodes]);
  });

  it('documents the status each code maps to', () => {
    for (const code of problemCodes) {
      const section = page.split(`## ${code}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section.trimStart().startsWith(`${problemStatus[code].status}.`), `${code} documents status ${problemStatus[code].status}`).toBe(true);
    }
  });

  it('gives every code a 4xx status and a stable type URI', () => {
    for (const code of problemCodes) {
      expect(problemStatus[code].status).toBeGreaterThanOrEqual(400);
      expect(problemStatus[code].status).toBeLessThan(500);
      expect(problemType(code)).toBe(`/problems/${code.replaceAll('_', '-')}`);
    }
  });
});
