import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import { GroupOffsets } from '../../src/events/embedded/groupOffsets';
import { eventually } from './helpers';

/**
 * A consumer group's committed offsets are written in the background; a write that fails is
 * logged and retried (it used to be kept silently until `flush()` on shutdown, so a crash in
 * between redelivered everything since the last good write, and nobody knew).
 */

let dir = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatgraph-offsets-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

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

const written = (): unknown => {
  try {
    return JSON.parse(readFileSync(join(dir, 'g.json'), 'utf8'));
  } catch {
    return undefined;
  }
};

it('logs a failed offsets write and retries it in the background until it succeeds', async () => {
  const { logger, lines } = capture();
  const offsets = await GroupOffsets.open(dir, 'g', logger);
  // The temp file's name taken by a directory: every write fails until it is removed.
  const blocker = join(dir, 'g.json.tmp');
  mkdirSync(blocker);
  offsets.commit('t', 0, 5);
  await eventually(() => lines.filter((line) => line.msg.includes('could not write committed offsets')).length >= 2, 'two failed writes logged');
  expect(written()).toBeUndefined();
  rmSync(blocker, { recursive: true });
  // Without a flush: the background retry writes them.
  await eventually(() => lines.some((line) => line.msg === 'committed offsets written again'), 'the retried write');
  expect(written()).toEqual({ t: { '0': 5 } });
  await offsets.flush();
});

it('flush() makes a last try and throws while writing still fails, then succeeds once it can', async () => {
  const offsets = await GroupOffsets.open(dir, 'g');
  const blocker = join(dir, 'g.json.tmp');
  mkdirSync(blocker);
  offsets.commit('t', 1, 9);
  await expect(offsets.flush()).rejects.toThrow();
  rmSync(blocker, { recursive: true });
  await offsets.flush();
  expect(written()).toEqual({ t: { '1': 9 } });
});
