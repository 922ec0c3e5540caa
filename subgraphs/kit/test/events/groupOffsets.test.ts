import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import { EventDb } from '../../src/events/embedded/eventDb';
import { GroupOffsets } from '../../src/events/embedded/groupOffsets';
import { eventually } from './helpers';

/**
 * A consumer group's committed offsets are written in the background; a write that fails is
 * logged and retried (it used to be kept silently until `flush()` on shutdown, so a crash in
 * between redelivered everything since the last good write, and nobody knew).
 */

let dir = '';
let db: EventDb;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatgraph-offsets-'));
  db = EventDb.open(join(dir, 'events.db'));
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Another connection holding the write lock: every write of the offsets fails (SQLITE_BUSY) until it lets go. */
function blockWrites(): () => void {
  const other = new DatabaseSync(join(dir, 'events.db'));
  other.exec('BEGIN IMMEDIATE');
  return () => {
    other.exec('ROLLBACK');
    other.close();
  };
}

function capture(): { logger: ReturnType<typeof createLogger>; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: createLogger({ name: 'offsets', level: 'info', destination }), lines };
}

/** What a fresh reader of the database sees. */
const written = (): unknown => {
  const reader = new DatabaseSync(join(dir, 'events.db'), { readOnly: true });
  try {
    const offsets: Record<string, Record<string, number>> = {};
    for (const row of reader.prepare("SELECT topic, part, next FROM group_offsets WHERE group_id = 'g'").iterate())
      (offsets[String(row.topic)] ??= {})[String(row.part)] = Number(row.next);
    return offsets;
  } finally {
    reader.close();
  }
};

it('logs a failed offsets write and retries it in the background until it succeeds', async () => {
  const { logger, lines } = capture();
  const offsets = GroupOffsets.open(db, 'g', logger);
  const unblock = blockWrites();
  offsets.commit('t', 0, 5);
  await eventually(
    () => lines.filter((line) => line.msg.includes('could not write committed offsets')).length >= 2,
    'two failed writes logged',
  );
  expect(written()).toEqual({});
  unblock();
  // Without a flush: the background retry writes them.
  await eventually(() => lines.some((line) => line.msg === 'committed offsets written again'), 'the retried write');
  expect(written()).toEqual({ t: { '0': 5 } });
  await offsets.flush();
});

it('flush() makes a last try and throws while writing still fails, then succeeds once it can', async () => {
  const offsets = GroupOffsets.open(db, 'g');
  const unblock = blockWrites();
  offsets.commit('t', 1, 9);
  await expect(offsets.flush()).rejects.toThrow();
  unblock();
  await offsets.flush();
  expect(written()).toEqual({ t: { '1': 9 } });
});
