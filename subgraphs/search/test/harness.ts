import path from 'node:path';
import { createLogger, newId } from '@chatgraph/kit';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import { dropElasticsearchIndex, searchIndexFromConfig } from '@chatgraph/kit/search';
import { conversationConversationV1, conversationMessageV1, fileFileV1, identityUserV1, type EventEnvelope } from '@chatgraph/schema';
import { REAL_SERVERS, realServersEnv as realEnv, runId, startSubgraph, type SubgraphHarness } from '@chatgraph/test-support';
import { loadSearchConfig } from '../src/config';
import { searchIndexDefinition } from '../src/definition';
import { embedderFromConfig } from '../src/embeddingConfig';
import { buildSearch, type Search } from '../src/server';

export { ANON, codeOf, eventually, ok, userPrincipal } from '@chatgraph/test-support';

export const SECRET = 'search-test-secret-0123456789abcdef0123';

export interface Harness extends SubgraphHarness<Search> {
  search: Search;
  bus: EventBus;
}

/** The Elasticsearch indexes `realServersEnv` named, for `dropRealIndexes`. */
const realIndexes: string[] = [];

/** search on Kafka (topics of its own) and Elasticsearch (an index of its own) for `*.real.test.ts`. */
export function realServersEnv(): Record<string, string> {
  const indexName = runId().toLowerCase();
  realIndexes.push(indexName);
  return {
    ...realEnv({ eventBus: 'own-topics' }),
    SEARCH_ENGINE: 'elasticsearch',
    ELASTICSEARCH_URL: REAL_SERVERS.esUrl,
    SEARCH_INDEX_NAME: indexName,
  };
}

/** Removes the index generations behind the aliases the real suites created, so the shared Elasticsearch does not fill up. */
export async function dropRealIndexes(): Promise<void> {
  for (const name of realIndexes.splice(0)) await dropElasticsearchIndex(REAL_SERVERS.esUrl, name);
}

/** Starts search on port 0 over the adapters its configuration names (embedded in a temp directory by default, or `dataDir`: a restart). */
export async function startSearch(env: Record<string, string> = {}, dataDir?: string): Promise<Harness> {
  const h = await startSubgraph({
    name: 'search',
    secret: SECRET,
    dataDir,
    tries: env.EVENT_BUS === 'kafka' ? 3000 : 400,
    setup(dataDir) {
      const config = loadSearchConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, ...env });
      const logger = createLogger({ name: 'search', level: 'silent' });
      const bus = eventBusFromConfig(config, 'search', logger);
      const embedder = embedderFromConfig(config, logger);
      const index = searchIndexFromConfig(config, searchIndexDefinition(config.SEARCH_INDEX_NAME, embedder.dims), {
        dataDir: path.join(dataDir, 'search'),
        logger,
      });
      return { bus, adapters: [bus], build: () => buildSearch({ index, embedder, bus, config, logger }) };
    },
  });
  return { ...h, search: h.service, bus: h.parts.bus };
}

/** A message as conversation describes it in its events. */
export interface TestMessage {
  ownerId: string;
  conversationId: string;
  messageId: string;
}

/** A fresh message of `ownerId` in `conversationId` (a new conversation by default). */
export function aMessage(ownerId: string, conversationId = newId()): TestMessage {
  return { ownerId, conversationId, messageId: newId() };
}

/** Publishes a user's message as conversation does: created, final at once. */
export async function userMessage(h: Harness, m: TestMessage, content: string): Promise<void> {
  const event = conversationMessageV1.create('message.created', m, { role: 'USER', parentId: null, content, status: 'COMPLETE' });
  await h.bus.publish(conversationMessageV1.topic, [{ key: m.conversationId, event }]);
}

/** Publishes an assistant answer's creation (PENDING, empty) and, with `final`, its completion. */
export async function assistantMessage(
  h: Harness,
  m: TestMessage,
  final?: { status: 'COMPLETE' | 'FAILED' | 'ABORTED'; content: string },
): Promise<void> {
  const created = conversationMessageV1.create('message.created', m, { role: 'ASSISTANT', parentId: null, content: '', status: 'PENDING' });
  const events: Array<{ key: string; event: EventEnvelope }> = [{ key: m.conversationId, event: created }];
  if (final) {
    const payload = { status: final.status, content: final.content, finishReason: 'stop', tokenCount: 3, model: 'demo' };
    events.push({ key: m.conversationId, event: conversationMessageV1.create('message.completed', m, payload) });
  }
  await h.bus.publish(conversationMessageV1.topic, events);
}

/** Publishes conversation's `message.deleted` (as it does for each message of a deleted conversation). */
export async function messageDeleted(h: Harness, m: TestMessage): Promise<void> {
  const event = conversationMessageV1.create('message.deleted', m, { reason: 'conversation-deleted' });
  await h.bus.publish(conversationMessageV1.topic, [{ key: m.conversationId, event }]);
}

/** Publishes identity's `user.deleted`. */
export async function userDeleted(h: Harness, userId: string): Promise<void> {
  const event = identityUserV1.create('user.deleted', { userId }, { by: 'admin-1' });
  await h.bus.publish(identityUserV1.topic, [{ key: userId, event }]);
}

/** Publishes conversation's `conversation.created`, `.updated` (with `changes`) or `.deleted`. */
export async function conversationEvent(
  h: Harness,
  subject: { conversationId: string; ownerId: string },
  change: { created: string } | { updated: { title?: string; pinned?: boolean; tags?: string[] } } | 'deleted',
): Promise<void> {
  const event =
    change === 'deleted'
      ? conversationConversationV1.create('conversation.deleted', subject, { messageCount: 0 })
      : 'created' in change
        ? conversationConversationV1.create('conversation.created', subject, { title: change.created })
        : conversationConversationV1.create('conversation.updated', subject, change.updated);
  await h.bus.publish(conversationConversationV1.topic, [{ key: subject.conversationId, event }]);
}

/** A file as the file subgraph describes it in its events. */
export interface TestFile {
  fileId: string;
  ownerId: string;
}

/** Publishes file's `file.chunked` batches for `chunks` (texts, in order), `perEvent` chunks per event. */
export async function fileChunked(h: Harness, file: TestFile, chunks: string[], perEvent = 100): Promise<void> {
  const events: Array<{ key: string; event: EventEnvelope }> = [];
  for (let start = 0; start < chunks.length; start += perEvent) {
    const batch = chunks.slice(start, start + perEvent).map((text, i) => ({ index: start + i, text, tokens: text.split(' ').length }));
    const event = fileFileV1.create('file.chunked', file, { filename: 'notes.txt', chunks: batch, chunkCount: chunks.length });
    events.push({ key: file.fileId, event });
  }
  await h.bus.publish(fileFileV1.topic, events);
}

/** Publishes file's `file.deleted` tombstone. */
export async function fileDeleted(h: Harness, file: TestFile): Promise<void> {
  await h.bus.publish(fileFileV1.topic, [{ key: file.fileId, event: fileFileV1.create('file.deleted', file, {}) }]);
}
