import { mkdir } from 'node:fs/promises';
import type mongoose from 'mongoose';
import { StoreLifecycle, type RegisteredCollection } from '../lifecycle';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '../port';
import type { StoredDoc } from './codec';
import { EmbeddedCollection } from './collection';
import { DocumentDatabase, type LoadedDocuments } from './database';
import { checkCollectionName } from './layout';
import { KeyedLock } from '../../durability/keyedLock';
import { migrateLegacyFiles } from './legacy/migrate';
import { acquireLock, type DirectoryLock } from '../../durability/lock';
import { silentAdapterLogger as silentLogger, type AdapterLogger as EmbeddedStoreLogger } from '../../adapterLogger';
import { CollectionState, type Journaling } from './state';
import type { UpdateContext } from './updating';
import { SqliteWriter } from './sqliteWriter';
import { WriteBatch } from './writeBatch';
import { createMongooseInstance, SchemaValidator } from './validate';

/** When SQLite folds its write-ahead log into the database file (a checkpoint). */
export interface CompactionOptions {
  /** Checkpoint once the WAL holds about this many bytes (default 4 MiB; 0: after every transaction). */
  minBytes: number;
  /** @deprecated Ignored since the store is on SQLite (it tuned the journal/snapshot format). */
  ratio: number;
}

const DEFAULT_COMPACTION: CompactionOptions = { minBytes: 4 << 20, ratio: 4 };
/** SQLite's default page size, which the store does not change. */
const PAGE_BYTES = 4096;

export interface EmbeddedStoreOptions {
  /** Directory holding `documents.sqlite` (with its WAL) and the lock file (created if missing). */
  dataDir: string;
  logger?: EmbeddedStoreLogger;
  /** When to checkpoint the WAL into the database file. */
  compaction?: Partial<CompactionOptions>;
}

type Loaded = UpdateContext;

interface Entry extends RegisteredCollection<Loaded> {
  spec: CollectionSpec<StoredDocument>;
  validator: SchemaValidator;
  collection: EmbeddedCollection<StoredDocument>;
}

/**
 * The embedded adapter: documents and indexes in memory for queries, SQLite (`dataDir/documents.sqlite`,
 * WAL, synchronous=FULL) as the durable layer: every acknowledged write is committed in a
 * transaction (group commit) before its promise resolves, and the rows are loaded at start.
 * One process per data directory (lock file).
 */
class EmbeddedStore implements DocumentStore {
  private readonly lifecycle: StoreLifecycle<Entry, Loaded>;
  private readonly mongoose: mongoose.Mongoose = createMongooseInstance();
  private readonly logger: EmbeddedStoreLogger;
  private readonly compaction: CompactionOptions;
  private lock: DirectoryLock | undefined;
  private database: DocumentDatabase | undefined;
  private batch: WriteBatch | undefined;
  private writer: SqliteWriter | undefined;
  /** Documents loaded at start and not yet claimed by a registered collection. */
  private unclaimed: LoadedDocuments = new Map();

  constructor(
    private readonly dataDir: string,
    options: EmbeddedStoreOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.compaction = { ...DEFAULT_COMPACTION, ...options.compaction };
    this.lifecycle = new StoreLifecycle<Entry, Loaded>({
      label: 'embedded store',
      open: async () => {
        await mkdir(this.dataDir, { recursive: true });
        this.lock = await acquireLock(this.dataDir, this.logger);
        const pages = Math.max(1, Math.ceil(this.compaction.minBytes / PAGE_BYTES));
        const { database, docs } = await DocumentDatabase.open(this.dataDir, pages);
        this.database = database;
        this.unclaimed = docs;
        await migrateLegacyFiles(this.dataDir, database, docs, this.logger);
        const writer = new SqliteWriter(database.files.db, pages);
        this.writer = writer;
        // The writer's connection is open (an empty transaction went through) before this one closes, so the WAL stays.
        await writer.write([]);
        database.detach();
        this.batch = new WriteBatch((ops) => writer.write(ops));
      },
      prepare: (entry) => this.load(entry),
      startFailed: async (error) => {
        await this.closeAll();
        await this.lock?.release();
        return error;
      },
      close: async () => {
        await this.closeAll();
        await this.lock?.release();
      },
    });
  }

  collection<T extends StoredDocument>(spec: CollectionSpec<T>): Collection<T> {
    const entry = this.lifecycle.register(spec.name, () => {
      checkCollectionName(spec.name); // refuses unusable names now rather than at start
      const generic = spec as unknown as CollectionSpec<StoredDocument>;
      const created: Entry = {
        name: spec.name,
        spec: generic,
        validator: new SchemaValidator(this.mongoose, spec.name, generic.schema),
        collection: new EmbeddedCollection<StoredDocument>(spec.name, (operation) => this.lifecycle.use(created, operation)),
      };
      return created;
    });
    // One object per name; its methods hand out `T`s validated by this same spec's schema.
    return entry.collection as unknown as Collection<T>;
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Builds a collection's in-memory state and indexes from the documents loaded at start. */
  private load(entry: Entry): Promise<Loaded> {
    const loaded = (async (): Promise<Loaded> => {
      const batch = this.batch;
      if (!batch) throw new Error('embedded store is not open');
      const name = entry.spec.name;
      const docs = this.unclaimed.get(name) ?? new Map<string, StoredDoc>();
      this.unclaimed.delete(name);
      const journaling: Journaling = {
        submit: (op) => batch.submit({ collection: name, ...op }),
        get failed() {
          return batch.failed;
        },
      };
      const state = new CollectionState(name, docs, entry.spec.indexes ?? [], journaling);
      return { state, validator: entry.validator, locks: new KeyedLock() };
    })();
    // Collections registered after start load in the background; their operations see the error.
    loaded.catch((error: unknown) => this.logger.warn({ collection: entry.spec.name, err: error }, 'collection failed to load'));
    return loaded;
  }

  stop(): Promise<void> {
    // Operations already running (e.g. between validation and apply) finish and become durable.
    return this.lifecycle.stop();
  }

  private async closeAll(): Promise<void> {
    await this.batch?.drain();
    try {
      await this.writer?.close();
    } finally {
      // Still attached only when start failed before the writer took over; then it marks the clean stop.
      this.database?.close();
    }
    this.unclaimed = new Map();
  }

  async ping(): Promise<void> {
    this.lifecycle.assertRunning();
    for (const entry of this.lifecycle.entries()) await entry.ready;
    const failure = this.batch?.failed;
    if (failure) throw new Error(`embedded store cannot write ${this.database?.files.db ?? this.dataDir}: ${failure.message}`);
  }
}

/**
 * Creates the embedded document store. Nothing touches `dataDir` until `start()`, which takes
 * the directory's lock and loads every collection registered so far.
 */
export function createEmbeddedStore(options: EmbeddedStoreOptions): DocumentStore {
  return new EmbeddedStore(options.dataDir, options);
}
