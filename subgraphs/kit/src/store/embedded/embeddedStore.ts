import { mkdir } from 'node:fs/promises';
import type mongoose from 'mongoose';
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

interface Entry {
  spec: CollectionSpec<StoredDocument>;
  validator: SchemaValidator;
  collection: EmbeddedCollection<StoredDocument>;
  /** Set on start (or at registration when the store already runs). */
  loaded?: Promise<Loaded>;
}

type Phase = 'new' | 'starting' | 'running' | 'stopped';

/**
 * The embedded adapter: documents in memory, every acknowledged write journaled and fsynced in
 * `dataDir` (group commit), snapshots by compaction. One process per data directory (lock file).
 */
class EmbeddedStore implements DocumentStore {
  private phase: Phase = 'new';
  private readonly entries = new Map<string, Entry>();
  private readonly mongoose: mongoose.Mongoose = createMongooseInstance();
  private readonly logger: EmbeddedStoreLogger;
  private readonly compaction: CompactionOptions;
  private lock: DirectoryLock | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private inFlight = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly dataDir: string, options: EmbeddedStoreOptions) {
    this.logger = options.logger ?? silentLogger;
    this.compaction = { ...DEFAULT_COMPACTION, ...options.compaction };
  }

  collection<T extends StoredDocument>(spec: CollectionSpec<T>): Collection<T> {
    let entry = this.entries.get(spec.name);
    if (!entry) {
      collectionFiles(this.dataDir, spec.name); // refuses unusable names now rather than at start
      const generic = spec as unknown as CollectionSpec<StoredDocument>;
      const created: Entry = {
        spec: generic,
        validator: new SchemaValidator(this.mongoose, spec.name, generic.schema),
        collection: new EmbeddedCollection<StoredDocument>(spec.name, (operation) => this.use(created, operation)),
      };
      if (this.phase === 'running') this.load(created);
      this.entries.set(spec.name, created);
      entry = created;
    }
    // One object per name; its methods hand out `T`s validated by this same spec's schema.
    return entry.collection as unknown as Collection<T>;
  }

  start(): Promise<void> {
    if (this.phase === 'stopped') return Promise.reject(new Error('the embedded store was stopped; create a new one to start again'));
    this.starting ??= this.startOnce();
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    this.phase = 'starting';
    try {
      await mkdir(this.dataDir, { recursive: true });
      this.lock = await acquireLock(this.dataDir, this.logger);
      const loads = [...this.entries.values()].map((entry) => this.load(entry));
      const settled = await Promise.allSettled(loads);
      const failure = settled.find((result) => result.status === 'rejected');
      if (failure) {
        await this.closeAll();
        const reason: unknown = failure.reason;
        throw reason;
      }
      this.phase = 'running';
      // Collections registered while starting load like those registered after start.
      for (const entry of this.entries.values()) if (!entry.loaded) this.load(entry);
    } catch (error) {
      this.phase = 'stopped';
      await this.lock?.release();
      throw error;
    }
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
    entry.loaded = loaded;
    // Collections registered after start load in the background; their operations see the error.
    loaded.catch((error: unknown) => this.logger.warn({ collection: entry.spec.name, err: error }, 'collection failed to load'));
    return loaded;
  }

  /** Runs one collection operation, refusing it unless the store is running, and counting it for `stop()`. */
  private async use<R>(entry: Entry, operation: (ctx: UpdateContext) => Promise<R> | R): Promise<R> {
    if (this.phase !== 'running' || !entry.loaded) {
      throw new Error(`embedded store is ${this.phase === 'stopped' ? 'stopped' : 'not started'}: cannot use collection ${entry.spec.name}`);
    }
    this.inFlight++;
    try {
      return await operation(await entry.loaded);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    this.phase = 'stopped';
    // Operations already running (e.g. between validation and apply) finish and become durable.
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.closeAll();
    await this.lock?.release();
  }

  private async closeAll(): Promise<void> {
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        const loaded = await entry.loaded?.catch(() => undefined);
        await loaded?.storage.close();
      }),
    );
  }

  async ping(): Promise<void> {
    if (this.phase !== 'running') throw new Error(`embedded store is ${this.phase === 'stopped' ? 'stopped' : 'not started'}`);
    for (const entry of this.entries.values()) {
      const loaded = await entry.loaded;
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
