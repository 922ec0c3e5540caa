/**
 * `./chatgraph check [--repair]` (or `pnpm check:data`): verifies every embedded file under
 * DATA_DIR — each service's document store (`<DATA_DIR>/<service>/documents.sqlite`) and every
 * event log (`<DATA_DIR>/events`, and `<DATA_DIR>/<service>/events` of a service run on its own) —
 * and, with `--repair`, keeps a backup of each damaged file, restores its last good state and says
 * what was lost. Run it with ChatGraph stopped: a repair takes each directory's lock.
 *
 * Exit code: 0 when every file is good (after a repair: verified again), 1 when something is still
 * wrong (without `--repair`: when anything is damaged), 2 on a usage error.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, str, type DataCheckReport } from '@chatgraph/kit';
import { checkDocumentStore } from '@chatgraph/kit/store';
import { checkEventLog } from '@chatgraph/kit/events';

const spec = { DATA_DIR: str({ description: 'data directory of the embedded adapters', default: '.data' }) };
const USAGE = 'usage: ./chatgraph check [--repair]';

/** Every directory under `dataDir` that may hold an embedded event log. */
function eventDirs(dataDir: string): string[] {
  const candidates = [path.join(dataDir, 'events')];
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name !== 'events') candidates.push(path.join(dataDir, entry.name, 'events'));
  }
  return candidates.filter((dir) => existsSync(dir));
}

/** One report as the operator reads it. */
function describe(report: DataCheckReport): string {
  const lines = [`${report.ok ? 'ok      ' : 'DAMAGED '} ${report.file}${report.repaired ? ' (repaired)' : ''}`];
  for (const problem of report.problems) lines.push(`  problem: ${problem}`);
  if (report.backup) lines.push(`  backup:  ${report.backup}`);
  if (report.repaired) lines.push(report.lost.length === 0 ? '  lost:    nothing' : `  lost:    ${report.lost.length}`);
  for (const lost of report.lost) lines.push(`    - ${lost}`);
  return lines.join('\n');
}

/** Runs the check over every embedded file under `dataDir`. */
async function checkDataDir(dataDir: string, repair: boolean): Promise<DataCheckReport[]> {
  if (!existsSync(dataDir)) return [];
  const reports = await checkDocumentStore(dataDir, { repair });
  for (const dir of eventDirs(dataDir)) reports.push(...(await checkEventLog(dir, { repair })));
  return reports;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.some((arg) => arg !== '--repair')) {
    console.error(USAGE);
    return 2;
  }
  const repair = args.includes('--repair');
  const dataDir = path.resolve(loadConfig(spec, process.env).DATA_DIR);
  const reports = await checkDataDir(dataDir, repair);
  if (reports.length === 0) {
    console.log(`nothing to check: no embedded data under ${dataDir}`);
    return 0;
  }
  for (const report of reports) console.log(describe(report));
  const bad = reports.filter((report) => !report.ok);
  if (bad.length === 0) {
    console.log(
      `${reports.length} file(s) checked under ${dataDir}: all good${reports.some((report) => report.repaired) ? ' after repair' : ''}`,
    );
    return 0;
  }
  console.log(
    `${bad.length} of ${reports.length} file(s) damaged under ${dataDir}${repair ? ' and not repairable: restore them from a backup' : ': stop ChatGraph, then run `./chatgraph check --repair`'}`,
  );
  return 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
