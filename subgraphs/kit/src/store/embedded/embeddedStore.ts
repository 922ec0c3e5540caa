import { mkdir } from 'node:fs/promises';
import type mongoose from 'mongoose';
import { StoreLifecycle, type RegisteredCollection } from '../lifecycle';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '../port';
import { EmbeddedCollection } from './collection';
import { collectionFiles } from './files';
import { KeyedLock } from './keyedLock';
import { acquireLock, type DirectoryLock } from './lock';
import { silentLogger, type EmbeddedStoreLogger } from './logger';
import { CollectionState } from './state';
import { CollectionStorage, DEFAULT_COMPACTION, type CompactionOptions } from './storage';
import type { UpdateContext } from './updating';
import { createMongooseInstance, SchemaValidator } from './validate';

export interface EmbeddedStoreOptions {
  /** Directory holding the snapshots, journals and lock file (created if missing). */
  dataDir: string;
  logger?: EmbeddedStoreLogger;
  /** When to fold a journal into a snapshot; defaults to past 1 MiB and 4 operations per live document. */
  compaction?: Partial<CompactionOptions>;
}

interface Loaded extends UpdateContext {
  storage: CollectionStorage;
}

interface Entry extends RegisteredCollection<Loaded> {
  spec: CollectionSpec<StoredDocument>;
  validator: SchemaValidator;
  collection: EmbeddedCollection<StoredDocument>;
}

/**
 * The embedded adapter: documents in memory, every acknowledged write journaled and fsynced in
 * `dataDir` (group commit), snapshots by compaction. One process per data directory (lock file).
 */
class EmbeddedStore implements DocumentStore {
  private readonly lifecycle: StoreLifecycle<Entry, Loaded>;
  private readonly mongoose: mongoose.Mongoose = createMongooseInstance();
  private readonly logger: EmbeddedStoreLogger;
  private readonly compaction: CompactionOptions;
  private lock: DirectoryLock | undefined;

  constructor(private readonly dataDir: string, options: EmbeddedStoreOptions) {
    this.logger = options.logger ?? silentLogger;
    this.compaction = { ...DEFAULT_COMPACTION, ...options.compaction };
    this.lifecycle = new StoreLifecycle<Entry, Loaded>({
      label: 'embedded store',
      open: async () => {
        await mkdir(this.dataDir, { recursive: true });
        this.lock = await acquireLock(this.dataDir, this.logger);
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
      collectionFiles(this.dataDir, spec.name); // refuses unusable names now rather than at start
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

  /** Loads a collection's files and builds its in-memory state and indexes. */
  private load(entry: Entry): Promise<Loaded> {
    const loaded = (async (): Promise<Loaded> => {
      const { storage, docs } = await CollectionStorage.open(this.dataDir, entry.spec.name, this.compaction, this.logger);
      try {
        const state = new CollectionState(entry.spec.name, docs, entry.spec.indexes ?? [], storage);
        return { state, storage, validator: entry.validator, locks: new KeyedLock() };
      } catch (error) {
        await storage.close();
        throw error;
      }
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
    await Promise.all(
      [...this.lifecycle.entries()].map(async (entry) => {
        const loaded = await entry.ready?.catch(() => undefined);
        await loaded?.storage.close();
      }),
    );
  }

  async ping(): Promise<void> {
    this.lifecycle.assertRunning();
    for (const entry of this.lifecycle.entries()) {
      const loaded = await entry.ready;
      const failure = loaded?.storage.failed;
      if (failure) throw new Error(`embedded store cannot write collection ${entry.spec.name}: ${failure.message}`);
    }
  }
}

/**
 * Creates the embedded document store. Nothing touches `dataDir` until `start()`, which takes
 * the directory's lock and loads every collection registered so far.
 */
export function createEmbeddedStore(options: EmbeddedStoreOptions): DocumentStore {
  return new EmbeddedStore(options.dataDir, options);
}
