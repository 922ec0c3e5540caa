import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { errorCode, lockFile, removeIfExists } from './files';
import type { EmbeddedStoreLogger } from './logger';

/**
 * One store per data directory: two processes appending to the same journals would corrupt
 * them. The lock file holds the owner's pid; a lock whose pid is dead (the owner crashed) is
 * taken over.
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Creates the lock file with its content in one step: the pid is written to a private temp file
 * which is then hard-linked to the lock name (link fails with EEXIST like O_EXCL), so nobody ever
 * sees an empty lock file.
 */
async function tryCreate(path: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, `${process.pid}\n`, { flag: 'wx' });
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
    await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** Takes the data directory's lock, or throws `DataDirLockedError` while a live process holds it. */
export async function acquireLock(dataDir: string, logger: EmbeddedStoreLogger): Promise<DirectoryLock> {
  const path = lockFile(dataDir);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(path)) return ownLock(path);
    const holder = await readPid(path);
    if (holder !== undefined && isAlive(holder)) throw new DataDirLockedError(dataDir, holder);
    // Stale. Move it aside atomically, then check that what moved is the stale lock and not one a
    // competing process created in between (if so, put it back and give up).
    const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue;
      throw error;
    }
    const moved = await readPid(aside);
    if (moved !== undefined && moved !== holder && isAlive(moved)) {
      await link(aside, path).catch(() => undefined);
      await removeIfExists(aside);
      throw new DataDirLockedError(dataDir, moved);
    }
    await removeIfExists(aside);
    logger.warn({ dataDir, stalePid: holder ?? null }, 'took over the lock of a process that is gone');
  }
  throw new Error(`could not lock data directory ${dataDir}: another process keeps taking it`);
}

function ownLock(path: string): DirectoryLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      // Remove it only if it is still ours.
      if ((await readPid(path)) === process.pid) await unlink(path).catch(() => undefined);
    },
  };
}
