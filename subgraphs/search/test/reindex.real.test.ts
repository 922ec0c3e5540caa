/**
 * The `reindex` command on Kafka (topics of its own) and Elasticsearch (an index of its own):
 * `--user` replays the topics under a fresh group and restores that user's documents only;
 * `--all` moves the alias to a new generation with every document still found.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, newId } from '@chatgraph/kit';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import { createElasticsearchIndex, type ElasticsearchSearchIndex } from '@chatgraph/kit/search';
import { conversationConversationV1, conversationMessageV1 } from '@chatgraph/schema';
import { REAL_SERVERS } from '@chatgraph/test-support';
import { loadSearchConfig, type SearchConfig } from '../src/config';
import { searchIndexDefinition } from '../src/definition';
import { hashedTrigramEmbedder } from '../src/embedding';
import { reindexUser } from '../src/reindex';
import { parseReindexArgs, runReindex } from '../src/reindexMain';
import { dropRealIndexes, realServersEnv, SECRET } from './harness';

const logger = createLogger({ name: 'search-reindex-test', level: 'silent' });
const embedder = hashedTrigramEmbedder();
let dataDir: string;
let config: SearchConfig;
let bus: EventBus;
let index: ElasticsearchSearchIndex;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'search-reindex-'));
  config = loadSearchConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...realServersEnv() });
  bus = eventBusFromConfig(config, 'search', logger);
  await bus.start();
  index = createElasticsearchIndex({ node: REAL_SERVERS.esUrl, index: searchIndexDefinition(config.SEARCH_INDEX_NAME, embedder.dims) });
  await index.start();
}, 60_000);

afterAll(async () => {
  await index.stop();
  await bus.stop();
  await dropRealIndexes();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A conversation with one finished message of `ownerId`, as conversation publishes it. */
async function chat(ownerId: string, title: string, content: string): Promise<{ conversationId: string; messageId: string }> {
  const conversationId = newId();
  const messageId = newId();
  await bus.publish(conversationConversationV1.topic, [
    { key: conversationId, event: conversationConversationV1.create('conversation.created', { conversationId, ownerId }, { title }) },
  ]);
  const subject = { conversationId, messageId, ownerId };
  await bus.publish(conversationMessageV1.topic, [
    {
      key: conversationId,
      event: conversationMessageV1.create('message.created', subject, { role: 'USER', parentId: null, content, status: 'COMPLETE' }),
    },
  ]);
  return { conversationId, messageId };
}

async function found(ownerId: string, text: string): Promise<string[]> {
  const result = await index.search({ ownerId, text, mode: 'keyword', size: 10 });
  return result.hits.map((hit) => hit.id).sort();
}

it('--user replays the topics under a fresh group and restores that user only; --all moves the alias with every document', async () => {
  const uma = `uma-${Date.now()}`;
  const vic = `vic-${Date.now()}`;
  const mine = await chat(uma, 'Glacier notes', 'glacier melt rates');
  await chat(vic, 'Glacier trip', 'glacier hiking boots');

  const first = await reindexUser({ bus, index, embedder, logger }, uma, { pollMs: 100 });
  expect(first.applied).toBe(2);
  expect(first.read).toBeGreaterThanOrEqual(4);
  expect(await found(uma, 'glacier')).toEqual([mine.conversationId, mine.messageId].sort());
  expect(await found(vic, 'glacier')).toEqual([]);

  // Lost documents come back from the log; the title changed since is replayed to its latest value.
  await bus.publish(conversationConversationV1.topic, [
    {
      key: mine.conversationId,
      event: conversationConversationV1.create(
        'conversation.updated',
        { conversationId: mine.conversationId, ownerId: uma },
        { tags: ['ice'] },
      ),
    },
  ]);
  await index.deleteByOwner(uma, { refresh: true });
  expect(await found(uma, 'glacier')).toEqual([]);
  const second = await reindexUser({ bus, index, embedder, logger }, uma, { pollMs: 100 });
  expect(second.groupId).not.toBe(first.groupId);
  expect(await found(uma, 'glacier')).toEqual([mine.conversationId, mine.messageId].sort());
  expect((await index.get(uma, [mine.conversationId]))[0]?.keywords?.tags).toEqual(['ice']);

  const behind = async (kind: string): Promise<string[]> => {
    const alias = `${config.SEARCH_INDEX_NAME}-${kind}`;
    return Object.keys((await (await fetch(`${REAL_SERVERS.esUrl}/_alias/${alias}`)).json()) as Record<string, unknown>);
  };
  await runReindex(config, logger, ['--', '--all']);
  for (const kind of ['message', 'conversation', 'file'])
    expect(await behind(kind)).toEqual([`${config.SEARCH_INDEX_NAME}-${kind}-000002`]);
  expect(await found(uma, 'glacier')).toEqual([mine.conversationId, mine.messageId].sort());
  // `--kind` rebuilds that kind's index only.
  await runReindex(config, logger, ['--', '--all', '--kind', 'message']);
  expect(await behind('message')).toEqual([`${config.SEARCH_INDEX_NAME}-message-000003`]);
  expect(await behind('conversation')).toEqual([`${config.SEARCH_INDEX_NAME}-conversation-000002`]);
  expect(await found(uma, 'glacier')).toEqual([mine.conversationId, mine.messageId].sort());
}, 120_000);

it('refuses arguments it does not know, and the embedded engine', async () => {
  for (const argv of [
    [],
    ['--user'],
    ['--user', '--all'],
    ['--every'],
    ['--all', '--user', 'x'],
    ['--all', '--kind'],
    ['--all', '--kind', 'chat'],
  ])
    expect(() => parseReindexArgs(argv)).toThrow(/usage/);
  expect(parseReindexArgs(['--all', '--kind', 'file'])).toEqual({ mode: 'all', kind: 'file' });
  expect(parseReindexArgs(['--', '--user', 'u1'])).toEqual({ mode: 'user', userId: 'u1' });
  const embedded = loadSearchConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir });
  await expect(runReindex(embedded, logger, ['--all'])).rejects.toThrow(/SEARCH_ENGINE=elasticsearch/);
});
