import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { errorCode, lockFile, removeIfExists } from './files';
import type { AdapterLogger } from '../adapterLogger';

/**
 * One store (or event bus) per data directory: two processes appending to the same files would
 * corrupt them. The lock file names its holder by pid, by a random token of the process instance
 * that took it, and (on Linux) by the process's start identity (boot id and start time).
 *
 * A pid alone is not enough: a container restarted after a crash runs the same program with the
 * same pid (often 1), so "the recorded pid is alive" would refuse it forever. A lock recording our
 * own pid is ours only if it carries this process instance's token; otherwise a previous life of
 * this pid left it and it is stale. A lock recording another pid is stale when that pid is dead,
 * or alive but started at another time (the pid was reused by an unrelated process).
 */

export interface DirectoryLock {
  release(): Promise<void>;
}

/** Another live process (or another store in this process) holds the data directory. */
export class DataDirLockedError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `data directory ${dataDir} is in use by process ${pid} (lock file ${lockFile(dataDir)}); ` +
        'stop that process, or delete the lock file if it is not a ChatGraph store',
    );
    this.name = 'DataDirLockedError';
  }
}

/** Who holds a lock, as its file records it (files written before tokens existed hold only the pid). */
interface Holder {
  pid: number;
  instance?: string;
  started?: string;
}

/**
 * This process instance's token, shared by every copy of this module loaded in the process (so
 * two stores of one process on one directory still refuse each other) and new in every process.
 */
const INSTANCE: string = ((globalThis as Record<symbol, unknown>)[Symbol.for('chatgraph.directoryLock.instance')] ??=
  randomBytes(16).toString('hex')) as string;

/** `<boot id>:<start time in clock ticks>` of a process, or undefined where /proc cannot tell. */
function startIdentity(pid: number): string | undefined {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3; start time is field 22.
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return bootId && startTime ? `${bootId}:${startTime}` : undefined;
  } catch {
    return undefined;
  }
}

const OWN_STARTED = startIdentity(process.pid);

function lockContent(): string {
  return `${process.pid}\ninstance ${INSTANCE}\n${OWN_STARTED ? `started ${OWN_STARTED}\n` : ''}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
}

/** True when the holder recorded in a lock file is a live process instance, so the lock is not stale. */
function isLiveHolder(holder: Holder): boolean {
  if (holder.pid === process.pid) return holder.instance === INSTANCE;
  if (!isAlive(holder.pid)) return false;
  const started = holder.started === undefined ? undefined : startIdentity(holder.pid);
  // Alive, but not the process that took the lock: its pid was reused.
  return started === undefined || started === holder.started;
}

function sameHolder(a: Holder, b: Holder | undefined): boolean {
  return b !== undefined && a.pid === b.pid && a.instance === b.instance && a.started === b.started;
}

function parseHolder(text: string): Holder | undefined {
  const [first, ...rest] = text.split('\n');
  const pid = Number.parseInt(first ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const holder: Holder = { pid };
  for (const line of rest) {
    const [key, value] = line.trim().split(' ', 2);
    if (key === 'instance' && value) holder.instance = value;
    if (key === 'started' && value) holder.started = value;
  }
  return holder;
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    return parseHolder(await readFile(path, 'utf8'));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Creates the lock file with its content in one step: the content is written to a private temp
 * file which is then hard-linked to the lock name (link fails with EEXIST like O_EXCL), so nobody
 * ever sees an empty lock file.
 */
async function tryCreate(path: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, lockContent(), { flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP'].includes(errorCode(error) ?? '')) throw error;
    // No hard links on this filesystem: fall back to O_EXCL (a reader may briefly see it empty).
    return createExclusive(path);
  } finally {
    await removeIfExists(temp);
  }
}

async function createExclusive(path: string): Promise<boolean> {
  try {
    await writeFile(path, lockContent(), { flag: 'wx' });
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** Takes the data directory's lock, or throws `DataDirLockedError` while a live process instance holds it. */
export async function acquireLock(dataDir: string, logger: AdapterLogger): Promise<DirectoryLock> {
  const path = lockFile(dataDir);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(path)) return ownLock(path);
    const holder = await readHolder(path);
    if (holder !== undefined && isLiveHolder(holder)) throw new DataDirLockedError(dataDir, holder.pid);
    // Stale. Move it aside atomically, then check that what moved is the stale lock and not one a
    // competing process created in between (if so, put it back and give up).
    const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue;
      throw error;
    }
    const moved = await readHolder(aside);
    if (moved !== undefined && !sameHolder(moved, holder) && isLiveHolder(moved)) {
      await link(aside, path).catch(() => undefined);
      await removeIfExists(aside);
      throw new DataDirLockedError(dataDir, moved.pid);
    }
    await removeIfExists(aside);
    const previousLife = holder?.pid === process.pid;
    logger.warn(
      { dataDir, stalePid: holder?.pid ?? null },
      previousLife
        ? 'took over a lock left by a previous process with our pid (restarted after a crash)'
        : 'took over the lock of a process that is gone',
    );
  }
  throw new Error(`could not lock data directory ${dataDir}: another process keeps taking it`);
}

function ownLock(path: string): DirectoryLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      // Remove it only if it is still ours (this process instance's).
      const holder = await readHolder(path);
      if (holder?.pid === process.pid && holder.instance === INSTANCE) await unlink(path).catch(() => undefined);
    },
  };
}
