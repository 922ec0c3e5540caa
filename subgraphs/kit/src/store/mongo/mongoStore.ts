import mongoose from 'mongoose';
import { KeyedLock } from '../../durability/keyedLock';
import { StoreLifecycle, type RegisteredCollection } from '../lifecycle';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '../port';
import { CLAIMS_COLLECTION, RevisionClaims } from './claims';
import { MongoCollection } from './collection';
import type { CollectionContext, ServerRow } from './context';
import { toPortError } from './driverErrors';
import { ensureIndexes } from './indexes';
import { silentAdapterLogger as silentLogger, type AdapterLogger as MongoStoreLogger } from '../../adapterLogger';
import { probeServer, type ServerTraits } from './probe';
import { UniqueIndexes } from './uniqueness';
import { ModelValidator } from '../validation';

export interface MongoStoreOptions {
  /** Connection string, e.g. `mongodb://127.0.0.1:27017` (credentials and options included). */
  uri: string;
  /** Database holding the collections (overrides one named in `uri`). */
  dbName: string;
  logger?: MongoStoreLogger;
  /** Connections kept per server; default 10. */
  maxPoolSize?: number;
  /**
   * How long an operation waits for a reachable server before failing with
   * `DocumentStoreUnavailableError`; default 5000 ms. The driver's 30 s default would hold a
   * request (and `/readyz`) for half a minute during an outage.
   */
  serverSelectionTimeoutMS?: number;
}

interface Entry extends RegisteredCollection<CollectionContext> {
  spec: CollectionSpec<StoredDocument>;
  model: mongoose.Model<unknown>;
  collection: MongoCollection<StoredDocument>;
}

/**
 * The MongoDB adapter, through mongoose on a connection of its own (a private `Mongoose`
 * instance, so neither the global connection nor global mongoose settings are involved). The
 * driver pools connections and reconnects by itself; commands are not buffered while
 * disconnected, so an outage surfaces as `DocumentStoreUnavailableError` after
 * `serverSelectionTimeoutMS` instead of hanging. Works on MongoDB and on FerretDB: no
 * transactions, no `$lookup`, no TTL or text indexes.
 */
class MongoStore implements DocumentStore {
  private readonly lifecycle: StoreLifecycle<Entry, CollectionContext>;
  private readonly mongoose = new mongoose.Mongoose({ autoIndex: false, autoCreate: false, bufferCommands: false, strictQuery: false });
  /** Unopened until `start()`; models are registered on it from the start. */
  private readonly connection: mongoose.Connection = this.mongoose.createConnection();
  private readonly logger: MongoStoreLogger;
  private traits: ServerTraits | undefined;
  private claims: RevisionClaims | undefined;

  constructor(private readonly options: MongoStoreOptions) {
    this.logger = options.logger ?? silentLogger;
    this.lifecycle = new StoreLifecycle<Entry, CollectionContext>({
      label: 'MongoDB store',
      open: async () => {
        const { uri, dbName, maxPoolSize = 10, serverSelectionTimeoutMS = 5000 } = this.options;
        await this.connection.openUri(uri, { dbName, maxPoolSize, serverSelectionTimeoutMS });
        await this.adaptToServer(this.connection.db as mongoose.mongo.Db);
      },
      prepare: (entry) => this.prepare(entry),
      startFailed: async (error) => {
        this.claims?.stopSweeping();
        await this.connection.close().catch(() => undefined);
        return toPortError(error, 'start');
      },
      // Operations already running finish (or fail) before the connection goes away under them.
      close: async (wasRunning) => {
        this.claims?.stopSweeping();
        if (wasRunning) await this.connection.close();
      },
      operationError: (error, collection) => toPortError(error, `collection ${collection}`),
    });
  }

  collection<T extends StoredDocument>(spec: CollectionSpec<T>): Collection<T> {
    const entry = this.lifecycle.register(spec.name, () => {
      const generic = spec as unknown as CollectionSpec<StoredDocument>;
      const created: Entry = {
        name: spec.name,
        spec: generic,
        model: this.connection.model<unknown>(spec.name, generic.schema, spec.name),
        collection: new MongoCollection<StoredDocument>(spec.name, (operation) => this.lifecycle.use(created, operation)),
      };
      return created;
    });
    // One object per name; its methods hand out `T`s validated by this same spec's schema.
    return entry.collection as unknown as Collection<T>;
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Probes the server and turns on the code paths that make up for what it lacks (logged once). */
  private async adaptToServer(db: mongoose.mongo.Db): Promise<void> {
    const traits = await probeServer(db);
    this.traits = traits;
    if (!traits.missingIsNull || !traits.perElement) {
      this.logger.info(
        { ...traits },
        "unique indexes of this server are weaker than MongoDB's: null, missing and array keys are checked in code",
      );
    }
    if (!traits.atomicUpdates) {
      this.logger.info(
        { claims: CLAIMS_COLLECTION },
        'updates of this server are not atomic across connections: each update first claims the revision it read',
      );
      this.claims = new RevisionClaims(db);
      await this.claims.prepare();
      this.claims.startSweeping((error) => this.logger.warn({ err: error }, 'sweeping old update claims failed'));
    }
  }

  /** Creates the collection's indexes and its operation context. */
  private prepare(entry: Entry): Promise<CollectionContext> {
    const ready = (async (): Promise<CollectionContext> => {
      const rows = (this.connection.db as mongoose.mongo.Db).collection<ServerRow>(entry.spec.name);
      await ensureIndexes(rows, entry.spec.indexes ?? [], this.logger);
      const unique = new UniqueIndexes(entry.spec.name, entry.model, entry.spec.indexes ?? []);
      unique.guarded = this.traits ? !this.traits.missingIsNull || !this.traits.perElement : false;
      const validator = new ModelValidator(entry.model, entry.spec.name);
      return {
        name: entry.spec.name,
        model: entry.model,
        rows,
        unique,
        validator,
        locks: new KeyedLock(),
        ...(this.claims ? { claims: this.claims } : {}),
      };
    })();
    // Logged where it happens; start(), ping() (so a service's start and /readyz) and the collection's operations fail with it.
    ready.catch((error: unknown) =>
      this.logger.warn({ collection: entry.spec.name, err: error }, 'collection indexes could not be created'),
    );
    return ready;
  }

  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  /** Fails unless the server answers and every registered collection got its indexes (a failed build fails readiness too). */
  async ping(): Promise<void> {
    await this.lifecycle.collectionsReady();
    try {
      await (this.connection.db as mongoose.mongo.Db).command({ ping: 1 });
    } catch (error) {
      throw toPortError(error, 'ping');
    }
  }
}

/**
 * Creates the MongoDB document store. Nothing connects until `start()`, which opens the
 * connection pool, probes what the server guarantees (probe.ts), and creates the indexes of
 * every collection registered so far (later ones get theirs when registered).
 */
export function createMongoStore(options: MongoStoreOptions): DocumentStore {
  return new MongoStore(options);
}
