import { SearchUnavailableError } from '../errors';
import { silentAdapterLogger, type AdapterLogger } from '../../adapterLogger';
import type { SearchDocument, SearchIndex, SearchIndexDefinition, SearchRequest, SearchResult } from '../port';
import { validateDefinition, validateDocument, validateDocuments, validateOwnerId, validateRequest } from '../validate';
import { DocumentTable } from './documentTable';
import { executeSearch } from './execute';
import { readSnapshot, snapshotPath, writeSnapshot } from './snapshot';

export interface EmbeddedSearchOptions {
  definition: SearchIndexDefinition;
  /** Where to keep a snapshot across restarts; without it the index lives in memory only. */
  dataDir?: string;
  /** How long after a write the snapshot is rewritten (writes in between share it). Default 1000. */
  snapshotDelayMs?: number;
  logger?: AdapterLogger;
}

type State = 'new' | 'started' | 'stopped';

/**
 * The embedded search engine: BM25, cosine kNN (brute force over the owner's documents, ample
 * at a single user's scale) and RRF hybrid, in process. Every write is visible at once.
 */
export function createEmbeddedSearchIndex(options: EmbeddedSearchOptions): SearchIndex {
  const { definition, dataDir } = options;
  validateDefinition(definition);
  const logger = options.logger ?? silentAdapterLogger;
  const file = dataDir === undefined ? undefined : snapshotPath(dataDir, definition.name);
  let table = new DocumentTable(definition.textFields);
  let state: State = 'new';
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  // Snapshot writes run one at a time, in order.
  let writing: Promise<void> = Promise.resolve();

  const usable = (): void => {
    if (state !== 'started')
      throw new SearchUnavailableError(`search index ${definition.name} is ${state === 'new' ? 'not started' : 'stopped'}`);
  };

  const persist = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!file || !dirty) return writing;
    dirty = false;
    const docs = [...table.documents()];
    writing = writing
      .then(() => writeSnapshot(file, docs))
      .catch((error: unknown) => {
        dirty = true;
        logger.warn({ err: error, file }, 'search snapshot could not be written');
      });
    return writing;
  };

  const changed = (): void => {
    if (!file) return;
    dirty = true;
    // Unref'd: a pending snapshot must not keep the process alive; stop() writes it anyway.
    timer ??= setTimeout(() => void persist(), options.snapshotDelayMs ?? 1000).unref();
  };

  const load = async (): Promise<void> => {
    if (!file) return;
    let docs: SearchDocument[];
    try {
      docs = await readSnapshot(file);
    } catch (error) {
      // Derived data: start empty and let the owner services' events rebuild it.
      logger.warn({ err: error, file }, 'search snapshot unreadable, starting empty');
      return;
    }
    for (const doc of docs) {
      try {
        validateDocument(definition, doc);
        table.put(doc);
      } catch (error) {
        logger.warn({ err: error, id: doc.id }, 'snapshot document no longer fits the index, dropped');
      }
    }
    logger.info({ file, documents: table.size }, 'search snapshot loaded');
  };

  return {
    definition,
    async start() {
      if (state === 'started') return;
      table = new DocumentTable(definition.textFields);
      await load();
      state = 'started';
    },
    async stop() {
      if (state !== 'started') return;
      state = 'stopped';
      await persist();
    },
    async ping() {
      usable();
    },
    async upsert(docs) {
      usable();
      validateDocuments(definition, docs);
      for (const doc of docs) table.put(doc);
      if (docs.length > 0) changed();
    },
    async delete(ids) {
      usable();
      let removed = 0;
      for (const id of new Set(ids)) if (table.remove(id)) removed++;
      if (removed > 0) changed();
      return removed;
    },
    async deleteByOwner(ownerId) {
      usable();
      validateOwnerId(ownerId, 'deleteByOwner ownerId');
      const removed = table.removeOwner(ownerId);
      if (removed > 0) changed();
      return removed;
    },
    async refresh() {
      usable();
    },
    async search(request: SearchRequest): Promise<SearchResult> {
      usable();
      validateRequest(definition, request);
      return executeSearch(table, definition, request);
    },
  };
}
