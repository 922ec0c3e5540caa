import { pipeline } from 'node:stream/promises';
import mongoose from 'mongoose';
import { KeyedLock } from '../../durability/keyedLock';
import { isUnavailable } from '../../store/mongo/driverErrors';
import { BlobStoreUnavailableError } from '../errors';
import { bodyStream, Meter } from '../metering';
import type { BlobBody, BlobStore, GetOptions, PutOptions, PutResult, StoredBlob } from '../port';
import { checkKey, checkPutOptions, checkRange } from '../requests';
import {
  abandonedUploads,
  commitVersion,
  latestVersion,
  olderVersions,
  type BlobFile,
  type BlobFileMetadata,
  type FilesCollection,
} from './versions';

export interface GridFsBlobStoreOptions {
  /** Connection string, e.g. `mongodb://127.0.0.1:27017`. */
  uri: string;
  dbName: string;
  /** GridFS bucket (collections `<bucket>.files` and `<bucket>.chunks`); default `blobs`. */
  bucketName?: string;
  logger?: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
  /** Connections kept; default 5. */
  maxPoolSize?: number;
  /** How long an operation waits for a reachable server before `BlobStoreUnavailableError`; default 5000 ms. */
  serverSelectionTimeoutMS?: number;
  /** GridFS chunk size; default the driver's 255 KiB. */
  chunkSizeBytes?: number;
  /** Uploads never committed (a writer died) older than this are removed at start; default one hour. */
  abandonedAfterMs?: number;
}

type Phase = 'new' | 'running' | 'stopped';

function unavailable(error: unknown, what: string): unknown {
  return isUnavailable(error)
    ? new BlobStoreUnavailableError(`blob store unavailable (${what}): ${String(error)}`, { cause: error })
    : error;
}

/**
 * The production blob store: MongoDB GridFS through the driver bundled with mongoose, on a
 * client of its own. Bytes stream both ways in chunks. An overwrite uploads the new version,
 * commits it, then deletes the old one (versions.ts): readers see one or the other, though a
 * reader still streaming the old version when it is deleted gets a stream error. Works on FerretDB.
 */
class GridFsBlobStore implements BlobStore {
  private phase: Phase = 'new';
  private readonly client: mongoose.mongo.MongoClient;
  private readonly db: mongoose.mongo.Db;
  private readonly bucket: mongoose.mongo.GridFSBucket;
  private readonly files: FilesCollection;
  private readonly chunks: mongoose.mongo.Collection<{ files_id: mongoose.mongo.ObjectId }>;
  private readonly locks = new KeyedLock();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: GridFsBlobStoreOptions) {
    // Constructing the client connects nothing; `connect()` in start() does.
    this.client = new mongoose.mongo.MongoClient(options.uri, {
      maxPoolSize: options.maxPoolSize ?? 5,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
    });
    this.db = this.client.db(options.dbName);
    const bucketName = options.bucketName ?? 'blobs';
    this.bucket = new mongoose.mongo.GridFSBucket(this.db, {
      bucketName,
      ...(options.chunkSizeBytes ? { chunkSizeBytes: options.chunkSizeBytes } : {}),
    });
    this.files = this.db.collection<BlobFile>(`${bucketName}.files`);
    this.chunks = this.db.collection(`${bucketName}.chunks`);
  }

  async start(): Promise<void> {
    if (this.phase === 'stopped') throw new Error('the GridFS blob store was stopped; create a new one to start again');
    if (this.phase === 'running') return;
    try {
      await this.client.connect();
      for (const file of await abandonedUploads(this.files, new Date(Date.now() - (this.options.abandonedAfterMs ?? 3_600_000))))
        await this.remove(file);
    } catch (error) {
      this.phase = 'stopped';
      await this.client.close().catch(() => undefined);
      throw unavailable(error, 'start');
    }
    this.phase = 'running';
  }

  async stop(): Promise<void> {
    const wasRunning = this.phase === 'running';
    this.phase = 'stopped';
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    if (wasRunning) await this.client.close();
  }

  async ping(): Promise<void> {
    this.assertRunning();
    await this.db.command({ ping: 1 }).catch((error: unknown) => Promise.reject(unavailable(error, 'ping')));
  }

  private assertRunning(): void {
    if (this.phase !== 'running') throw new Error(`GridFS blob store is ${this.phase === 'stopped' ? 'stopped' : 'not started'}`);
  }

  /** Runs an operation while running; `stop()` waits for it; driver outages become `BlobStoreUnavailableError`. */
  private async run<R>(what: string, operation: () => Promise<R>): Promise<R> {
    this.assertRunning();
    const running = operation().catch((error: unknown) => Promise.reject(unavailable(error, what)));
    this.pending.add(running);
    const forget = (): void => void this.pending.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** Deletes one version (files document and chunks); one already gone is fine. */
  private async remove(file: BlobFile): Promise<void> {
    try {
      await this.bucket.delete(file._id);
    } catch (error) {
      if (!(error instanceof mongoose.mongo.MongoRuntimeError && /not found/i.test(error.message))) throw error;
    }
  }

  async put(key: string, body: BlobBody, options?: PutOptions): Promise<PutResult> {
    checkKey(key);
    const checked = checkPutOptions(options);
    return this.run('put', async () => {
      const metadata: BlobFileMetadata = { ...checked, committed: false };
      const upload = this.bucket.openUploadStream(key, { metadata });
      const meter = new Meter();
      try {
        await pipeline(bodyStream(body), meter, upload);
      } catch (error) {
        // The files document is only written when an upload finishes; drop the chunks already sent.
        await this.chunks.deleteMany({ files_id: upload.id }).catch(() => undefined);
        throw error;
      }
      const sha256 = meter.digest();
      await this.locks.run(key, async () => {
        const committedAt = new Date();
        await commitVersion(this.files, upload.id, sha256, committedAt);
        for (const old of await olderVersions(this.files, key, { id: upload.id, committedAt })) await this.remove(old);
      });
      return { key, bytes: meter.bytes, sha256 };
    });
  }

  async get(key: string, options: GetOptions = {}): Promise<StoredBlob | null> {
    checkKey(key);
    return this.run('get', async () => {
      const file = await latestVersion(this.files, key);
      if (!file?.metadata) return null;
      const range = options.range ? checkRange(options.range, file.length) : undefined;
      const { contentType, metadata, sha256 = '' } = file.metadata;
      // GridFS's `end` is exclusive, the port's inclusive.
      const stream = this.bucket.openDownloadStream(file._id, range ? { start: range.start, end: range.end + 1 } : {});
      return { stream, bytes: file.length, sha256, contentType, metadata: { ...metadata } };
    });
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    return this.run('delete', () =>
      this.locks.run(key, async () => {
        const versions = await olderVersions(this.files, key);
        for (const version of versions) await this.remove(version);
        return versions.length > 0;
      }),
    );
  }

  async exists(key: string): Promise<boolean> {
    checkKey(key);
    return this.run('exists', async () => (await latestVersion(this.files, key)) !== undefined);
  }
}

/** Creates the GridFS blob store. Nothing connects until `start()`. */
export function createGridFsBlobStore(options: GridFsBlobStoreOptions): BlobStore {
  return new GridFsBlobStore(options);
}
