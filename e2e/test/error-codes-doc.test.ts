/**
 * The error-code table of docs/api.md is generated from the kit's registry (`pnpm docs:errors`,
 * checked in CI with `--check`): the checked-in doc matches the registry, a new code shows up in
 * the table, and a doc without markers is refused rather than silently left stale.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '@chatgraph/kit';
// Relative, as the other root scripts are reached: the root workspace is not a package.
import { errorCodeTable, withErrorCodeTable } from '../../scripts/error-codes';

const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');

describe('error-code table (pnpm docs:errors)', () => {
  it('is in sync with ERROR_CODES in docs/api.md, one row per code with its HTTP status', () => {
    expect(withErrorCodeTable(doc)).toBe(doc);
    for (const [code, info] of Object.entries(ERROR_CODES)) expect(doc).toContain(`| \`${code}\` | ${info.http} | `);
  });

  it('changes the doc when the registry changes, so --check catches a code documented by hand only', () => {
    const withNewCode = errorCodeTable({ ...ERROR_CODES, GONE: { http: 410, message: 'Gone', meaning: 'It was | here', retry: 'No' } });
    const next = withErrorCodeTable(doc, withNewCode);
    expect(next).not.toBe(doc);
    expect(next).toContain('| `GONE` | 410 | It was \\| here | No |');
  });

  it('refuses a doc without the markers', () => {
    expect(() => withErrorCodeTable('# Errors\n')).toThrow(/error-codes:start/);
  });
});
