import { streamingStreamV1, type EventEnvelope } from '@chatgraph/schema';
import { createLogger, newId, signConnectionParams, type Principal } from '@chatgraph/kit';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { documentStoreFromConfig, type DocumentStore } from '@chatgraph/kit/store';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import { kvStoreFromConfig, type KvStore } from '@chatgraph/kit/kv';
import type { Mailer } from '@chatgraph/kit/mail';
import { startSubgraph, type SubgraphHarness } from '@chatgraph/test-support';
import { loadNotificationConfig } from '../src/config';
import { buildNotification, type Notification } from '../src/server';
import { notificationCollections, type NotificationCollections } from '../src/store';

export { ANON, codeOf, eventually, expectCode, ok, userPrincipal } from '@chatgraph/test-support';

export const SECRET = 'notification-test-secret-0123456789abcdef';

export interface Harness extends SubgraphHarness<Notification> {
  store: DocumentStore;
  bus: EventBus;
  kv: KvStore;
  collections: NotificationCollections;
}

/** Starts notification on port 0 over embedded adapters in a temp directory; `now` replaces the clock, `mailer` the file mailer. */
export async function startNotification(env: Record<string, string> = {}, now?: () => Date, mailer?: Mailer): Promise<Harness> {
  const h = await startSubgraph({
    name: 'notification',
    secret: SECRET,
    setup(dataDir) {
      const config = loadNotificationConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, ...env });
      const logger = createLogger({ name: 'notification', level: 'silent' });
      const store = documentStoreFromConfig(config, 'notification', logger);
      const bus = eventBusFromConfig(config, 'notification', logger);
      const kv = kvStoreFromConfig(config, logger);
      return {
        store,
        bus,
        kv,
        adapters: [store, bus, kv],
        build: () => buildNotification({ store, bus, kv, config, logger, now, mailer }),
      };
    },
  });
  const { store, bus, kv } = h.parts;
  return { ...h, store, bus, kv, collections: notificationCollections(store) };
}

/** The start of `text` as streaming cuts its preview (200 characters, an ellipsis when cut). */
function previewOf(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/**
 * streaming's `stream.ended` of an answer of `ownerId` that completed (not published); unwatched
 * unless `watched`, ABORTED when `finishReason` is `aborted` (the owner stopped it).
 */
export function completion(ownerId: string, content = 'The answer is 42.', finishReason = 'stop', watched = false): EventEnvelope {
  const subject = { streamId: newId(), conversationId: newId(), messageId: newId(), ownerId };
  const status = finishReason === 'aborted' ? 'ABORTED' : 'COMPLETE';
  return streamingStreamV1.create('stream.ended', subject, { status, watched, preview: previewOf(content) });
}

/** streaming's `stream.ended` of an answer of `ownerId` that failed, unwatched unless `watched` (not published). */
export function failure(ownerId: string, error = 'provider unavailable', watched = false): EventEnvelope {
  const subject = { streamId: newId(), conversationId: newId(), messageId: newId(), ownerId };
  return streamingStreamV1.create('stream.ended', subject, { status: 'FAILED', watched, preview: previewOf(error) });
}

/**
 * Publishes `event` on streaming.stream.v1 (again, if it was published before: a redelivery), keyed
 * by its owner as streaming keys it, or by `key` (to put a marker on another user's partition).
 */
export async function deliver(h: Harness, event: EventEnvelope, key = event.subject.ownerId ?? ''): Promise<void> {
  await h.bus.publish(streamingStreamV1.topic, [{ key, event }]);
}

/** A graphql-ws client of the subgraph signed for `principal`, as the router connects. Dispose it after use. */
export function wsClient(h: Harness, principal: Principal): Client {
  return createClient({
    url: h.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: () => signConnectionParams(SECRET, principal),
    retryAttempts: 0,
    lazy: true,
  });
}
