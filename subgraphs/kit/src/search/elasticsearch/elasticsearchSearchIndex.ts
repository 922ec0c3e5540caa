import { Client } from '@elastic/elasticsearch';
import { SearchUnavailableError } from '../errors';
import { silentAdapterLogger, type AdapterLogger } from '../../adapterLogger';
import type { SearchIndex, SearchIndexDefinition } from '../port';
import {
  validateDefinition,
  validateDeleteMatching,
  validateDocuments,
  validateMatchingIds,
  validateOwnerId,
  validateRequest,
  validateScan,
} from '../validate';
import { getDocuments, idsWhere } from './reads';
import { mapElasticsearchError } from './errors';
import { ensureAliasedIndex } from './aliases';
import { rebuildIndex, type RebuildHooks, type RebuildReport } from './rebuild';
import { scanNotMatching } from './scan';
import { executeSearch } from './search';
import { bulkDelete, bulkUpsert, deleteOwner, deleteWhere } from './writes';

export interface ElasticsearchSearchOptions {
  /** Base URL, e.g. `http://127.0.0.1:9250`. */
  node: string;
  /**
   * The index definition; its `name` is the Elasticsearch alias every request goes through (the
   * concrete index behind it is `<name>-000001`, then the next generation after each rebuild).
   */
  index: SearchIndexDefinition;
  logger?: AdapterLogger;
  /** Per-request timeout; a timeout surfaces as `SearchUnavailableError`. Default 10000. */
  requestTimeoutMs?: number;
  /**
   * Retries after a connection failure. Default 1: the client's own default (3, with backoff of
   * seconds) would hold a user's search for ~10 s before it could answer UNAVAILABLE.
   */
  maxRetries?: number;
  /** Shards of a newly created index. Default 1 (index-wide BM25 statistics). */
  numberOfShards?: number;
}

type State = 'new' | 'started' | 'stopped';

/**
 * The search index on Elasticsearch (9.x; `@elastic/elasticsearch`). Uses core features only —
 * `standard` analysis, BM25, `dense_vector` kNN, highlighting — and fuses hybrid results in the
 * kit, so it runs on a basic licence and a stripped distribution alike.
 */
/** The Elasticsearch adapter: the port, plus the no-downtime rebuild only it can do. */
export interface ElasticsearchSearchIndex extends SearchIndex {
  /** Rebuilds the index behind the alias from its own documents with the current mappings (rebuild.ts). */
  rebuild(hooks?: RebuildHooks): Promise<RebuildReport>;
}

export function createElasticsearchIndex(options: ElasticsearchSearchOptions): ElasticsearchSearchIndex {
  const definition = options.index;
  validateDefinition(definition);
  const index = definition.name;
  const logger = options.logger ?? silentAdapterLogger;
  const client = new Client({
    node: options.node,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    maxRetries: options.maxRetries ?? 1,
  });
  let state: State = 'new';

  /** Runs an operation on a started index, mapping client errors to the port's. */
  const run = async <T>(operation: string, work: () => Promise<T>): Promise<T> => {
    if (state !== 'started') throw new SearchUnavailableError(`search index ${index} is ${state === 'new' ? 'not started' : 'stopped'}`);
    try {
      return await work();
    } catch (error) {
      throw mapElasticsearchError(error, operation, index);
    }
  };

  const template = { numberOfShards: options.numberOfShards };
  const ensureIndex = async (): Promise<void> => {
    const { created, concrete } = await ensureAliasedIndex(client, definition, template);
    if (created) logger.info({ index, concrete }, 'search index created behind its alias');
  };

  return {
    definition,
    async start() {
      if (state === 'started') return;
      try {
        await ensureIndex();
      } catch (error) {
        throw mapElasticsearchError(error, 'start', index);
      }
      state = 'started';
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      await client.close();
    },
    async ping() {
      await run('ping', async () => {
        // The integ-test distribution serves no `GET /`, so the client's ping() cannot be used.
        const health = await client.cluster.health({ index, timeout: '5s' });
        if (health.status === 'red') throw new SearchUnavailableError(`search index ${index} is red`);
      });
    },
    async upsert(docs, writeOptions) {
      validateDocuments(definition, docs);
      await run('bulk upsert', () => bulkUpsert(client, index, docs, writeOptions));
    },
    async delete(ids, writeOptions) {
      return run('bulk delete', () => bulkDelete(client, index, ids, writeOptions));
    },
    async deleteByOwner(ownerId, writeOptions) {
      validateOwnerId(ownerId, 'deleteByOwner ownerId');
      return run('delete by owner', () => deleteOwner(client, index, ownerId, writeOptions));
    },
    async deleteMatching(ownerId, keywords, writeOptions) {
      validateDeleteMatching(definition, ownerId, keywords);
      return run('delete matching', () => deleteWhere(client, index, ownerId, keywords, writeOptions));
    },
    async refresh() {
      await run('refresh', async () => {
        await client.indices.refresh({ index });
      });
    },
    async search(request) {
      validateRequest(definition, request);
      return run('search', () => executeSearch({ client, index, definition }, request));
    },
    async rebuild(hooks) {
      return run('rebuild', () => rebuildIndex(client, definition, template, logger, hooks));
    },
    async get(ownerId, ids) {
      validateOwnerId(ownerId, 'get ownerId');
      return run('get', () => getDocuments(client, index, ownerId, ids));
    },
    async matchingIds(ownerId, filters, limit) {
      validateMatchingIds(definition, ownerId, filters, limit);
      return run('matching ids', () => idsWhere(client, index, ownerId, filters, limit));
    },
    async scanNotMatching(field, values, after, size) {
      validateScan(definition, field, values, after, size);
      return run('scan', () => scanNotMatching(client, index, field, values, after, size));
    },
  };
}
