import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbeddedEventBus } from '../../src/events';
import { createEmbeddedStore } from '../../src/store';
import { peopleSpec } from './contractFixtures';
import { recordingLogger, removeDir, tempDataDir } from './helpers';

/**
 * The data-directory lock after a crash: a container restarted with the same pid must take over
 * the lock its previous life left (it used to be refused forever, its own pid looking alive),
 * while a lock held by another live process is still refused. The event bus's directory uses the
 * same lock.
 */

let dir: string;
let other: ChildProcess | undefined;
const stops: Array<() => Promise<void>> = [];

beforeEach(() => {
  dir = tempDataDir();
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  if (other && other.exitCode === null) {
    const exited = new Promise((resolve) => other?.once('exit', resolve));
    other.kill('SIGKILL');
    await exited;
  }
  other = undefined;
  removeDir(dir);
});

/** A live process that is not this one. */
async function otherProcess(): Promise<number> {
  other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve) => other?.once('spawn', resolve));
  if (other.pid === undefined) throw new Error('no pid');
  return other.pid;
}

const lockOf = (path: string): string[] => readFileSync(join(path, 'LOCK'), 'utf8').split('\n');

/** Starts a store (or bus) on `path`, stopped after the test. */
async function startStore(path: string, logger = recordingLogger()): Promise<void> {
  const store = createEmbeddedStore({ dataDir: path, logger });
  store.collection(peopleSpec);
  await store.start();
  stops.push(() => store.stop());
}

async function startBus(path: string): Promise<void> {
  const bus = createEmbeddedEventBus({ dataDir: path });
  await bus.start();
  stops.push(() => bus.stop());
}

describe('data-directory lock', () => {
  it.each([
    ['pid only (written before instance tokens)', `${process.pid}\n`],
    ['pid and the token of an earlier process instance', `${process.pid}\ninstance 0123456789abcdef\n`],
  ])('takes over a lock with our own pid left by a previous life: %s', async (_what, content) => {
    writeFileSync(join(dir, 'LOCK'), content);
    const logger = recordingLogger();
    await startStore(dir, logger);
    const [pid, instance] = lockOf(dir);
    expect(pid).toBe(String(process.pid));
    expect(instance).toMatch(/^instance [0-9a-f]{32}$/);
    expect(instance).not.toBe('instance 0123456789abcdef');
    expect(logger.entries.some((entry) => /previous process with our pid/.test(entry.msg))).toBe(true);
  });

  it('refuses a lock held by another live process', async () => {
    const pid = await otherProcess();
    writeFileSync(join(dir, 'LOCK'), `${pid}\ninstance fedcba9876543210\n`);
    const store = createEmbeddedStore({ dataDir: dir });
    store.collection(peopleSpec);
    await expect(store.start()).rejects.toThrow(`in use by process ${pid}`);
    expect(lockOf(dir)[0]).toBe(String(pid));
  });

  it('takes over a lock whose pid now belongs to a process started later (pid reused)', async () => {
    const pid = await otherProcess();
    writeFileSync(join(dir, 'LOCK'), `${pid}\ninstance fedcba9876543210\nstarted not-this-boot:1\n`);
    await startStore(dir);
    expect(lockOf(dir)[0]).toBe(String(process.pid));
  });

  it('still refuses a second store of this same process', async () => {
    await startStore(dir);
    const second = createEmbeddedStore({ dataDir: dir });
    second.collection(peopleSpec);
    await expect(second.start()).rejects.toThrow(`in use by process ${process.pid}`);
  });

  it('applies to the event bus directory too: a previous life is taken over, a live holder refused', async () => {
    writeFileSync(join(dir, 'LOCK'), `${process.pid}\ninstance 0123456789abcdef\n`);
    await startBus(dir);
    expect(lockOf(dir)[0]).toBe(String(process.pid));
    for (const stop of stops.splice(0)) await stop();

    const pid = await otherProcess();
    writeFileSync(join(dir, 'LOCK'), `${pid}\n`);
    await expect(startBus(dir)).rejects.toThrow(`in use by process ${pid}`);
  });
});
