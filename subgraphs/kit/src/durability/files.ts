import { access, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The small filesystem helpers durability needs, shared by every adapter that keeps files (the
 * embedded store, the embedded event log, the local blob store): fsync a directory, remove or
 * test a file, read a system error's code, and where a data directory's lock lives.
 */

/** The data directory's lock file (see lock.ts). */
export function lockFile(dataDir: string): string {
  return join(dataDir, 'LOCK');
}

/** The `code` of a Node system error (`ENOENT`, `EEXIST`...), if any. */
export function errorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Makes a directory's entries (created, renamed, removed files) durable. Without it a rename can
 * be lost on power failure even though the renamed file's content was fsynced.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows, some network filesystems) cannot fsync a directory; nothing more can be done there.
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/** Deletes a file; a missing file is fine. */
export async function removeIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}
