import { mkdir } from 'node:fs/promises';
import { SearchUnavailableError } from '../errors';
import { silentAdapterLogger, type AdapterLogger } from '../../adapterLogger';
import type { SearchIndex, SearchIndexDefinition, SearchRequest, SearchResult } from '../port';
import { normalizeFilters } from '../filters';
import type { KeywordValues, SearchDocument, StoredSearchDocument } from '../port';
import {
  validateDefinition,
  validateDeleteMatching,
  validateDocument,
  validateDocuments,
  validateMatchingIds,
  validateOwnerId,
  validateRequest,
  validateScan,
} from '../validate';
import { compareIds } from '../rrf';
import { matchesFilters } from './filters';
import { DocumentTable } from './documentTable';
import { executeSearch } from './execute';
import { JournalWriter, journalGenerations, readJournals, type JournalEntry } from './journal';
import { readSnapshot, snapshotPath, writeSnapshot } from './snapshot';

export interface EmbeddedSearchOptions {
  definition: SearchIndexDefinition;
  /**
   * Where to keep the index across restarts (a snapshot and a journal); without it the index
   * lives in memory only. With it, every write is durable once it resolves.
   */
  dataDir?: string;
  /**
   * The journal is folded into a new snapshot once it has grown by this many bytes, or by the
   * size of the last snapshot if larger (so rewriting snapshots stays linear). Default 64 MiB.
   */
  compactAfterBytes?: number;
  logger?: AdapterLogger;
}

type State = 'new' | 'started' | 'stopped';

/** The test of `deleteMatching`: the same keyword semantics as a search filter. */
function matchingKeywords(ownerId: string, keywords: KeywordValues): (doc: StoredSearchDocument) => boolean {
  const filters = normalizeFilters(ownerId, { keywords });
  return (doc) => matchesFilters(doc, filters);
}

const DEFAULT_COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

/**
 * The embedded search engine: BM25, cosine kNN (brute force over the owner's documents, ample
 * at a single user's scale) and RRF hybrid, in process. Every write is visible at once, and with
 * a data directory durable when it resolves: it is journalled and fsynced first (journal.ts),
 * and the journal is folded into a snapshot now and then (snapshot.ts). A consumer that indexes
 * an event and then acknowledges it therefore never loses the write in a crash.
 */
export function createEmbeddedSearchIndex(options: EmbeddedSearchOptions): SearchIndex {
  const { definition, dataDir } = options;
  validateDefinition(definition);
  const logger = options.logger ?? silentAdapterLogger;
  const file = dataDir === undefined ? undefined : snapshotPath(dataDir, definition.name);
  const compactAfterBytes = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
  let table = new DocumentTable(definition.textFields);
  let state: State = 'new';
  let journal: JournalWriter | undefined;
  let snapshotBytes = 0;
  /** Journal entries replayed at start: a stop folds them into a snapshot even if nothing was written since. */
  let replayed = 0;
  // One compaction at a time.
  let compacting: Promise<void> | undefined;

  const usable = (): void => {
    if (state !== 'started')
      throw new SearchUnavailableError(`search index ${definition.name} is ${state === 'new' ? 'not started' : 'stopped'}`);
  };

  /** Snapshots the table as it is now and drops the journals the snapshot absorbed. */
  const compact = async (): Promise<void> => {
    if (!file || !dataDir || !journal) return;
    const writer = journal;
    // Synchronously with the rotation: the snapshot holds exactly the writes of older generations.
    const generation = writer.rotate();
    const docs = [...table.documents()];
    snapshotBytes = await writeSnapshot(file, generation, docs);
    await writer.idle();
    await writer.removeBefore(generation);
  };

  const compactInBackground = (): void => {
    if (compacting || !journal || journal.bytesSinceRotation < Math.max(compactAfterBytes, snapshotBytes)) return;
    compacting = compact()
      .catch((error: unknown) => logger.warn({ err: error, file }, 'search snapshot could not be written; the journal keeps every write'))
      .finally(() => (compacting = undefined));
  };

  /** Journals a write that was applied to the table; resolves once it is durable. */
  const journalled = async (entry: JournalEntry): Promise<void> => {
    if (!journal) return;
    await journal.append(entry);
    compactInBackground();
  };

  const fits = (doc: SearchDocument): boolean => {
    try {
      validateDocument(definition, doc);
      return true;
    } catch {
      return false;
    }
  };

  const apply = (entry: JournalEntry): void => {
    if (entry.op === 'delete') for (const id of entry.ids) table.remove(id);
    else if (entry.op === 'deleteOwner') table.removeOwner(entry.ownerId);
    else if (entry.op === 'deleteMatching') table.removeOwnerMatching(entry.ownerId, matchingKeywords(entry.ownerId, entry.keywords));
    else
      for (const doc of entry.docs) {
        try {
          validateDocument(definition, doc);
          table.put(doc);
        } catch (error) {
          // A vector of other dimensions (the embedding model changed): the document stays
          // findable by its words, without the vector, until it is embedded again.
          const { vector, ...withoutVector } = doc;
          if (vector && vector.length !== definition.vectorDims && fits(withoutVector)) table.put(withoutVector);
          else logger.warn({ err: error, id: doc.id }, 'stored document no longer fits the index, dropped');
        }
      }
  };

  /** Loads the snapshot and replays the journals after it; returns the next journal generation. */
  const load = async (): Promise<number> => {
    if (!file || !dataDir) return 0;
    await mkdir(dataDir, { recursive: true });
    const generations = await journalGenerations(dataDir, definition.name);
    let generation = 0;
    try {
      const snapshot = await readSnapshot(file);
      generation = snapshot.generation;
      apply({ op: 'upsert', docs: snapshot.docs });
    } catch (error) {
      // Derived data: start from the journals alone and let the owner services' events rebuild the rest.
      logger.warn({ err: error, file }, 'search snapshot unreadable, starting from the journals');
    }
    const entries = await readJournals(dataDir, definition.name, generation, (torn) =>
      logger.warn({ file: torn }, 'search journal ends with a torn write (never acknowledged), skipped'),
    );
    for (const entry of entries) apply(entry);
    replayed = entries.length;
    logger.info({ file, documents: table.size, journalEntries: entries.length }, 'search index loaded');
    // Never append to a journal of a previous run: its last line may be torn.
    return Math.max(generation, ...generations) + 1;
  };

  return {
    definition,
    async start() {
      if (state === 'started') return;
      table = new DocumentTable(definition.textFields);
      const generation = await load();
      if (dataDir) journal = new JournalWriter(dataDir, definition.name, generation);
      state = 'started';
    },
    async stop() {
      if (state !== 'started') return;
      state = 'stopped';
      await compacting;
      try {
        // A graceful stop leaves one snapshot and no journal to replay (nothing to do if nothing changed).
        if (journal && (journal.bytesSinceRotation > 0 || replayed > 0)) await compact();
      } catch (error) {
        logger.warn({ err: error, file }, 'search snapshot could not be written at stop; the journal keeps every write');
      }
      await journal?.close();
      journal = undefined;
    },
    async ping() {
      usable();
    },
    async upsert(docs) {
      usable();
      validateDocuments(definition, docs);
      if (docs.length === 0) return;
      for (const doc of docs) table.put(doc);
      await journalled({ op: 'upsert', docs: [...docs] });
    },
    async delete(ids) {
      usable();
      const removed = [...new Set(ids)].filter((id) => table.remove(id));
      if (removed.length > 0) await journalled({ op: 'delete', ids: removed });
      return removed.length;
    },
    async deleteByOwner(ownerId) {
      usable();
      validateOwnerId(ownerId, 'deleteByOwner ownerId');
      const removed = table.removeOwner(ownerId);
      if (removed > 0) await journalled({ op: 'deleteOwner', ownerId });
      return removed;
    },
    async deleteMatching(ownerId, keywords) {
      usable();
      validateDeleteMatching(definition, ownerId, keywords);
      const removed = table.removeOwnerMatching(ownerId, matchingKeywords(ownerId, keywords));
      if (removed > 0) await journalled({ op: 'deleteMatching', ownerId, keywords: structuredClone(keywords) });
      return removed;
    },
    async refresh() {
      usable();
      // Writes are visible at once; a snapshot being written is waited for, so that tests can
      // abandon the index (as a crash would) at a point where no file is being changed.
      await compacting;
    },
    async search(request: SearchRequest): Promise<SearchResult> {
      usable();
      validateRequest(definition, request);
      return executeSearch(table, definition, request);
    },
    async get(ownerId, ids) {
      usable();
      validateOwnerId(ownerId, 'get ownerId');
      return [...new Set(ids)].flatMap((id) => {
        const doc = table.document(id);
        return doc && doc.ownerId === ownerId ? [doc] : [];
      });
    },
    async matchingIds(ownerId, filters, limit) {
      usable();
      validateMatchingIds(definition, ownerId, filters, limit);
      const normalized = normalizeFilters(ownerId, filters);
      const ids = [...table.idsOf(ownerId)]
        .filter((id) => {
          const entry = table.get(id);
          return entry !== undefined && matchesFilters(entry.doc, normalized);
        })
        .sort(compareIds);
      return { ids: ids.slice(0, limit), complete: ids.length <= limit };
    },
    async scanNotMatching(field, values, after, size) {
      usable();
      validateScan(definition, field, values, after, size);
      return table.scan(
        (doc) => {
          const value = doc.keywords?.[field];
          const held = value === undefined ? [] : Array.isArray(value) ? value : [value];
          return !held.some((v) => values.includes(v));
        },
        after,
        size,
      );
    },
  };
}
