import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../../durability/files';

/**
 * Where the local blob store keeps things. File names come from the SHA-256 of the key, never
 * from the key itself, so no key can name a path outside the directory (keys are also checked,
 * so both adapters refuse the same ones), and keys `a` and `a/b` cannot collide as a file and a
 * directory would.
 *
 *   <dir>/tmp/<random>                     bytes and sidecars being written
 *   <dir>/objects/<h0h1>/<h>.json          sidecar: key, version, size, hash, type, metadata
 *   <dir>/objects/<h0h1>/<h>.<version>     the bytes of that version
 *
 * The sidecar is the commit point: a version's bytes are complete (fsynced, renamed into place)
 * before a sidecar names them, and replacing the sidecar by rename switches readers atomically.
 */

export interface Sidecar {
  key: string;
  version: string;
  bytes: number;
  sha256: string;
  contentType: string;
  metadata: Record<string, string>;
  createdAt: string;
}

export interface KeyPaths {
  dir: string;
  sidecar: string;
  /** The bytes of `version`. */
  data(version: string): string;
}

export function tmpDir(root: string): string {
  return join(root, 'tmp');
}

export function objectsDir(root: string): string {
  return join(root, 'objects');
}

export function keyPaths(root: string, key: string): KeyPaths {
  const hash = createHash('sha256').update(key).digest('hex');
  const dir = join(objectsDir(root), hash.slice(0, 2));
  return { dir, sidecar: join(dir, `${hash}.json`), data: (version) => join(dir, `${hash}.${version}`) };
}

/** A fresh name for a temporary file or a version. */
export function randomName(): string {
  return randomBytes(12).toString('hex');
}

function isSidecar(value: unknown): value is Sidecar {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.key === 'string' &&
    typeof v.version === 'string' &&
    /^[0-9a-f]+$/.test(v.version) &&
    typeof v.bytes === 'number' &&
    typeof v.sha256 === 'string' &&
    typeof v.contentType === 'string' &&
    v.metadata !== null &&
    typeof v.metadata === 'object'
  );
}

/** The committed sidecar, or `undefined` when the key holds no blob. */
export async function readSidecar(path: string): Promise<Sidecar | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (!isSidecar(parsed)) throw new Error(`corrupt blob sidecar ${path}`);
  return parsed;
}
