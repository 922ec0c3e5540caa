import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, removeIfExists } from '../../durability/files';
import { objectsDir, readSidecar, tmpDir } from './layout';

/**
 * Start-up cleanup of what interrupted writes leave behind: temporary files, and versions no
 * sidecar names (a crash between writing a version and committing its sidecar, or between the
 * commit and deleting the previous version). Only files older than `minAgeMs` are touched, so a
 * write in progress (in this process or another one on the same directory) is never pulled out
 * from under its writer.
 */

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

async function isOld(path: string, minAgeMs: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > minAgeMs;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Removes abandoned files under `root`; returns how many. */
export async function sweepAbandoned(root: string, minAgeMs: number): Promise<number> {
  let removed = 0;
  for (const name of await listDir(tmpDir(root))) {
    const path = join(tmpDir(root), name);
    if ((await isOld(path, minAgeMs)) && (await removeIfExists(path))) removed++;
  }
  for (const shard of await listDir(objectsDir(root))) {
    const dir = join(objectsDir(root), shard);
    for (const name of await listDir(dir)) {
      const [hash, version] = name.split('.');
      if (version === undefined || version === 'json' || hash === undefined) continue;
      const sidecar = await readSidecar(join(dir, `${hash}.json`)).catch(() => undefined);
      if (sidecar?.version === version) continue;
      const path = join(dir, name);
      if ((await isOld(path, minAgeMs)) && (await removeIfExists(path))) removed++;
    }
  }
  return removed;
}
