/**
 * Renders the error-code table of docs/api.md ("Errors") from the kit's registry
 * (`ERROR_CODES` in subgraphs/kit/src/errors.ts), between `<!-- error-codes:start -->` and
 * `<!-- error-codes:end -->`, so the codes are written once. `--check` fails on drift (CI), as
 * `pnpm docs:config --check` does for the configuration tables.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, type ErrorCodeInfo } from '@chatgraph/kit';

const escape = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Markdown table of every code, in registry order. */
export function errorCodeTable(codes: Readonly<Record<string, ErrorCodeInfo>> = ERROR_CODES): string {
  const rows = Object.entries(codes).map(
    ([code, info]) => `| \`${code}\` | ${info.http} | ${escape(info.meaning)} | ${escape(info.retry)} |`,
  );
  return ['| code | HTTP status (refusals) | meaning | retry? |', '|---|---|---|---|', ...rows].join('\n');
}

const MARKERS = /(<!-- error-codes:start -->\n)[\s\S]*?(<!-- error-codes:end -->)/;

/** `doc` with its table replaced; throws when the markers are missing. */
export function withErrorCodeTable(doc: string, table: string = errorCodeTable()): string {
  if (!MARKERS.test(doc)) throw new Error('no <!-- error-codes:start --> / <!-- error-codes:end --> markers');
  return doc.replace(MARKERS, (_match, start: string, end: string) => `${start}${table}\n${end}`);
}

function main(): void {
  const file = 'docs/api.md';
  const path = join(__dirname, '..', file);
  const current = readFileSync(path, 'utf8');
  let next: string;
  try {
    next = withErrorCodeTable(current);
  } catch (error) {
    console.error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  if (next === current) return;
  if (process.argv.includes('--check')) {
    console.error(`${file}: error-code table is stale: run \`pnpm docs:errors\` and commit`);
    process.exitCode = 1;
    return;
  }
  writeFileSync(path, next);
  console.log(`${file}: error-code table updated`);
}

if (require.main === module) main();
