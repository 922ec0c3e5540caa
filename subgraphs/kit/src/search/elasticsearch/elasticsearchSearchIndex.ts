import { Client } from '@elastic/elasticsearch';
import { SearchRequestError, SearchUnavailableError } from '../errors';
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
import { aliasesOfDocuments, layoutOf } from './layout';
import { splitSingleIndex } from './migrate';
import { rebuildIndex, type RebuildOptions, type RebuildReport } from './rebuild';
import { scanNotMatching } from './scan';
import { executeSearch } from './search';
import { bulkDelete, bulkUpsert, deleteOwner, deleteWhere } from './writes';

export interface ElasticsearchSearchOptions {
  /** Base URL, e.g. `http://127.0.0.1:9250`. */
  node: string;
  /**
   * The index definition; its `name` is the Elasticsearch alias every request goes through (the
   * concrete index behind it is `<name>-000001`, then the next generation after each rebuild).
   * With `kinds`, each kind has its own alias `<name>-<kind>` over its own generations
   * (layout.ts), and an old single alias `<name>` is split into them once at start (migrate.ts).
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
  /**
   * Rebuilds the index behind each alias (every kind's, one after the other, or `options.kinds`')
   * from its own documents with the current mappings (rebuild.ts); one report per alias.
   */
  rebuild(options?: RebuildOptions): Promise<RebuildReport[]>;
}

export function createElasticsearchIndex(options: ElasticsearchSearchOptions): ElasticsearchSearchIndex {
  const definition = options.index;
  validateDefinition(definition);
  const layout = layoutOf(definition);
  // Every alias, comma-joined: reads, scans and refreshes span every kind in one request.
  const index = layout.aliases.join(',');
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
    await splitSingleIndex(client, layout, definition, template, logger);
    for (const alias of layout.aliases) {
      const { created, concrete } = await ensureAliasedIndex(client, alias, definition, template);
      if (created) logger.info({ index: alias, concrete }, 'search index created behind its alias');
    }
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
      const aliases = aliasesOfDocuments(layout, docs);
      await run('bulk upsert', () => bulkUpsert(client, aliases, docs, writeOptions, layout.aliases));
    },
    async delete(ids, writeOptions) {
      return run('bulk delete', () => bulkDelete(client, layout.aliases, ids, writeOptions));
    },
    async deleteByOwner(ownerId, writeOptions) {
      validateOwnerId(ownerId, 'deleteByOwner ownerId');
      return run('delete by owner', () => deleteOwner(client, layout.aliases, ownerId, writeOptions));
    },
    async deleteMatching(ownerId, keywords, writeOptions) {
      validateDeleteMatching(definition, ownerId, keywords);
      return run('delete matching', () => deleteWhere(client, layout.aliases, ownerId, keywords, writeOptions));
    },
    async refresh() {
      await run('refresh', async () => {
        await client.indices.refresh({ index });
      });
    },
    async search(request) {
      validateRequest(definition, request);
      // Only the requested kinds' indexes are searched; the kind filter stays in the query all the same.
      const searched = layout.aliasesFor(request.filters?.kinds).join(',');
      return run('search', () => executeSearch({ client, index: searched, definition }, request));
    },
    async rebuild(rebuildOptions = {}) {
      const aliases = rebuildOptions.kinds ? layout.aliasesFor(rebuildOptions.kinds) : layout.aliases;
      const unknown = (rebuildOptions.kinds ?? []).filter((kind) => layout.aliasOf(kind) === undefined);
      if (unknown.length > 0 || rebuildOptions.kinds?.length === 0)
        throw new SearchRequestError(`rebuild kinds must be among the index's: ${String(definition.kinds ?? [])}; got ${unknown.join()}`);
      return run('rebuild', async () => {
        const reports: RebuildReport[] = [];
        for (const alias of aliases) reports.push(await rebuildIndex(client, alias, definition, template, logger, rebuildOptions));
        return reports;
      });
    },
    async get(ownerId, ids) {
      validateOwnerId(ownerId, 'get ownerId');
      return run('get', () => getDocuments(client, layout.aliases, ownerId, ids));
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
