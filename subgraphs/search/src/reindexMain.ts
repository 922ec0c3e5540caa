/**
 * `pnpm --filter @chatgraph/search reindex -- --all [--kind <kind>] | --user <id>`: rebuilds search's index with
 * the service's configuration (environment as for `main.ts`). Needs SEARCH_ENGINE=elasticsearch
 * (the embedded index belongs to the running process); `--user` also needs EVENT_BUS=kafka. What
 * each mode covers and what it cannot: reindex.ts.
 */
import { createLogger, type Logger } from '@chatgraph/kit';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { createElasticsearchIndex } from '@chatgraph/kit/search';
import { loadSearchConfig, type SearchConfig } from './config';
import { DOC_KINDS, searchIndexDefinition } from './definition';
import { embedderFromConfig } from './embeddingConfig';
import { reindexAll, reindexUser } from './reindex';

const USAGE = `usage: reindex --all [--kind ${Object.values(DOC_KINDS).join('|')}] | --user <userId>`;

/** The mode the arguments name, or why they are wrong. */
export function parseReindexArgs(argv: readonly string[]): { mode: 'all'; kind?: string } | { mode: 'user'; userId: string } {
  const args = argv.filter((arg) => arg !== '--');
  if (args.length === 1 && args[0] === '--all') return { mode: 'all' };
  const kinds: readonly string[] = Object.values(DOC_KINDS);
  if (args.length === 3 && args[0] === '--all' && args[1] === '--kind' && args[2] && kinds.includes(args[2]))
    return { mode: 'all', kind: args[2] };
  if (args.length === 2 && args[0] === '--user' && args[1] && !args[1].startsWith('-')) return { mode: 'user', userId: args[1] };
  throw new Error(USAGE);
}

async function run(config: SearchConfig, logger: Logger, argv: readonly string[]): Promise<void> {
  const request = parseReindexArgs(argv);
  if (config.SEARCH_ENGINE !== 'elasticsearch' || !config.ELASTICSEARCH_URL)
    throw new Error('reindex needs SEARCH_ENGINE=elasticsearch: the embedded index belongs to the running search process');
  // The service's embedder (main.ts): its dims shape the index definition, and `--user` embeds
  // what it replays as the running service would (pending when ai-gateway cannot answer).
  const embedder = embedderFromConfig(config, logger);
  const index = createElasticsearchIndex({
    node: config.ELASTICSEARCH_URL,
    index: searchIndexDefinition(config.SEARCH_INDEX_NAME, embedder.dims),
    logger,
  });
  await index.start();
  try {
    if (request.mode === 'all') {
      process.stdout.write(`${JSON.stringify(await reindexAll(index, logger, request.kind ? [request.kind] : undefined))}\n`);
      return;
    }
    if (config.EVENT_BUS !== 'kafka')
      throw new Error('reindex --user needs EVENT_BUS=kafka: it replays the topics under a group of its own');
    const bus = eventBusFromConfig(config, 'search', logger);
    await bus.start();
    try {
      process.stdout.write(`${JSON.stringify(await reindexUser({ bus, index, embedder, logger }, request.userId))}\n`);
    } finally {
      await bus.stop();
    }
  } finally {
    await index.stop();
  }
}

if (require.main === module) {
  const config = loadSearchConfig(process.env);
  const logger = createLogger({ name: 'search-reindex', level: config.LOG_LEVEL });
  run(config, logger, process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

/** For tests: the command with a given configuration. */
export const runReindex = run;
