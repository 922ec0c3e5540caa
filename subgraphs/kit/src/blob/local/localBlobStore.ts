import { mkdir, open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { KeyedLock } from '../../durability/keyedLock';
import { errorCode, fsyncDir, removeIfExists } from '../../durability/files';
import { bodyStream } from '../metering';
import type { BlobBody, BlobStore, GetOptions, PutOptions, PutResult, StoredBlob } from '../port';
import { checkKey, checkPutOptions, checkRange } from '../requests';
import { moveInto, replaceFile, writeStreamed } from './files';
import { keyPaths, objectsDir, randomName, readSidecar, tmpDir, type Sidecar } from './layout';
import { sweepAbandoned } from './sweep';

export interface LocalBlobStoreOptions {
  /** Directory holding the blobs (created if missing). */
  dir: string;
  logger?: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
  /** Abandoned temporary files and versions older than this are removed at start; default one hour. */
  abandonedAfterMs?: number;
}

type Phase = 'new' | 'running' | 'stopped';

/**
 * The embedded blob store: files in a local directory (layout.ts). Writes go to a temporary
 * file that is fsynced and renamed into place, then a sidecar naming it is committed by rename,
 * so a crash never leaves part of a blob visible. Writes of one key queue in this process.
 */
class LocalBlobStore implements BlobStore {
  private phase: Phase = 'new';
  private readonly locks = new KeyedLock();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: LocalBlobStoreOptions) {}

  async start(): Promise<void> {
    if (this.phase === 'stopped') throw new Error('the local blob store was stopped; create a new one to start again');
    if (this.phase === 'running') return;
    await mkdir(tmpDir(this.options.dir), { recursive: true });
    await mkdir(objectsDir(this.options.dir), { recursive: true });
    this.phase = 'running';
    // In the background: a large directory should not hold up start-up.
    this.track(
      sweepAbandoned(this.options.dir, this.options.abandonedAfterMs ?? 3_600_000)
        .then((removed) => removed > 0 && this.options.logger?.info({ removed, dir: this.options.dir }, 'removed abandoned blob files'))
        .catch((error: unknown) =>
          this.options.logger?.warn({ err: error, dir: this.options.dir }, 'sweeping abandoned blob files failed'),
        ),
    );
  }

  async stop(): Promise<void> {
    this.phase = 'stopped';
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async ping(): Promise<void> {
    this.assertRunning();
    const handle = await open(tmpDir(this.options.dir), constants.O_RDONLY);
    await handle.close();
  }

  /** Runs an operation while running; `stop()` waits for it. */
  private track<R>(operation: Promise<R>): Promise<R> {
    this.pending.add(operation);
    const forget = (): void => void this.pending.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  private assertRunning(): void {
    if (this.phase !== 'running') throw new Error(`local blob store is ${this.phase === 'stopped' ? 'stopped' : 'not started'}`);
  }

  async put(key: string, body: BlobBody, options?: PutOptions): Promise<PutResult> {
    checkKey(key);
    const { contentType, metadata } = checkPutOptions(options);
    this.assertRunning();
    const root = this.options.dir;
    const paths = keyPaths(root, key);
    return this.track(
      (async (): Promise<PutResult> => {
        // The bytes stream into a temporary file outside the key's lock: a slow upload holds up no one.
        const temp = join(tmpDir(root), randomName());
        const { bytes, sha256 } = await writeStreamed(bodyStream(body), temp);
        const version = randomName();
        try {
          await this.locks.run(key, async () => {
            await mkdir(paths.dir, { recursive: true });
            const previous = await readSidecar(paths.sidecar);
            await moveInto(temp, paths.data(version), paths.dir);
            const sidecar: Sidecar = { key, version, bytes, sha256, contentType, metadata, createdAt: new Date().toISOString() };
            await replaceFile(join(tmpDir(root), randomName()), paths.sidecar, paths.dir, JSON.stringify(sidecar));
            // Readers that opened the previous version keep reading it (an unlinked file lives on while open).
            if (previous) await removeIfExists(paths.data(previous.version));
          });
        } catch (error) {
          await removeIfExists(temp);
          const committed = await readSidecar(paths.sidecar).catch(() => undefined);
          if (committed?.version !== version) await removeIfExists(paths.data(version));
          throw error;
        }
        return { key, bytes, sha256 };
      })(),
    );
  }

  async get(key: string, options: GetOptions = {}): Promise<StoredBlob | null> {
    checkKey(key);
    this.assertRunning();
    const paths = keyPaths(this.options.dir, key);
    // A put may replace the version between reading the sidecar and opening its file: read again.
    for (let attempt = 0; attempt < 10; attempt++) {
      const sidecar = await readSidecar(paths.sidecar);
      if (!sidecar) return null;
      const range = options.range ? checkRange(options.range, sidecar.bytes) : undefined;
      try {
        const handle = await open(paths.data(sidecar.version), 'r');
        const stream = handle.createReadStream(range ? { start: range.start, end: range.end } : {});
        return {
          stream,
          bytes: sidecar.bytes,
          sha256: sidecar.sha256,
          contentType: sidecar.contentType,
          metadata: { ...sidecar.metadata },
        };
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
      }
    }
    throw new Error(`blob ${key} kept changing while being opened`);
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    this.assertRunning();
    const paths = keyPaths(this.options.dir, key);
    return this.track(
      this.locks.run(key, async () => {
        const sidecar = await readSidecar(paths.sidecar);
        if (!sidecar) return false;
        // Sidecar first: once it is gone the blob is gone, whatever happens to the bytes after.
        await removeIfExists(paths.sidecar);
        await fsyncDir(paths.dir);
        await removeIfExists(paths.data(sidecar.version));
        return true;
      }),
    );
  }

  async exists(key: string): Promise<boolean> {
    checkKey(key);
    this.assertRunning();
    return (await readSidecar(keyPaths(this.options.dir, key).sidecar)) !== undefined;
  }
}

/** Creates the local-directory blob store (the embedded default). Nothing touches `dir` until `start()`. */
export function createLocalBlobStore(options: LocalBlobStoreOptions): BlobStore {
  return new LocalBlobStore(options);
}
