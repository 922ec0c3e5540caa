import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraph, type Logger, type Subgraph } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import { OutboxRelay, watchConsumerLag, type EventBus, type Subscription } from '@chatgraph/kit/events';
import type { BlobStore } from '@chatgraph/kit/blob';
import type { KvStore } from '@chatgraph/kit/kv';
import { Capabilities } from './capabilities';
import type { FileConfig } from './config';
import type { FileContext } from './context';
import { Downloads } from './http/download';
import { ByteLimits } from './http/limits';
import { ByteRoutes } from './http/routes';
import { Uploads } from './http/upload';
import type { FileProcessor } from './processing/types';
import { processingHandler, subscribeProcessing } from './processingEvents';
import { resolvers } from './resolvers';
import { FileService } from './service';
import { Sniffer } from './sniff';
import { fileCollections } from './store';
import { shareEventsHandler, subscribeShareEvents } from './shareEvents';
import { subscribeUserEvents, userEventsHandler } from './userEvents';

/** The subgraph's SDL file, for composition scripts and tests. */
export const FILE_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

export interface FileDeps {
  /** Not started or stopped here: the caller owns the store's lifecycle (start it before `start()`). */
  store: DocumentStore;
  /** Not started or stopped here either (start it before `start()`, stop it after `stop()`). */
  bus: EventBus;
  /** Where the bytes and what is derived from them live; not started here, stopped by `stop()` only with `ownsBlobs`. */
  blobs: BlobStore;
  /** `stop()` stops the blob store too (the embedded descriptor opens one the launcher does not know of). */
  ownsBlobs?: boolean;
  /** The key-value store download budgets are kept in (shared by every instance); not started or stopped here. */
  kv: KvStore;
  /** Extracts text, images and chunks (`createFileProcessor`); stopped by `stop()`. */
  processor: FileProcessor;
  config: FileConfig;
  logger: Logger;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** Outbox relay poll interval (default 1 s); the relay is also woken after every local write. */
  relayPollMs?: number;
}

export interface File {
  readonly subgraph: Subgraph;
  readonly service: FileService;
  readonly relay: OutboxRelay;
  /** The blob store it keeps bytes in (tests check what is left behind). */
  readonly blobs: BlobStore;
  /** Starts the relay and the consumers, then listens on `port` (default FILE_PORT; 0 picks a free one). */
  start(port?: number): Promise<string>;
  /** Drains the subgraph and its uploads, then the consumers, the relay and the processor. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Sets the router's public origin the upload and download URLs are built on (FILE_PUBLIC_URL
   * otherwise): for a stack whose router port is only known once it listens.
   */
  setPublicUrl(url: string): void;
  readonly url: string;
}

/**
 * Builds the file subgraph over the given adapters. Importing this module or calling this
 * function connects, listens and reads nothing; `start()` does.
 */
export function buildFile(deps: FileDeps): File {
  const { config, logger, store, bus, blobs, processor } = deps;
  const collections = fileCollections(store);
  const now = deps.now ?? (() => new Date());
  const capabilities = new Capabilities(config.INTERNAL_SIGNING_SECRET);
  const sniffer = new Sniffer();
  let publicUrl = config.FILE_PUBLIC_URL.replace(/\/$/, '');
  const relay = new OutboxRelay({ bus, collections: [collections.files], logger, pollIntervalMs: deps.relayPollMs });
  const eventsQueued = (): void => relay.notify();
  const service = new FileService({ collections, blobs, capabilities, config, logger, now, publicUrl: () => publicUrl, eventsQueued });
  const limits = new ByteLimits({
    kv: deps.kv,
    logger,
    concurrentUploads: config.FILE_CONCURRENT_UPLOADS,
    downloadsPerMinute: config.FILE_DOWNLOADS_PER_MINUTE,
  });
  const bytes = new ByteRoutes({
    uploads: new Uploads({ collections, blobs, capabilities, sniffer, logger, now, eventsQueued, limits }),
    downloads: new Downloads({ collections, blobs, capabilities, logger, now, limits }),
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    logger,
  });
  const subgraph = createSubgraph<FileContext>({
    name: 'file',
    typeDefs: readFileSync(FILE_SCHEMA_PATH, 'utf8'),
    resolvers,
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    context: (base) => ({ ...base, files: service }),
    intercept: bytes.intercept,
    readiness: [
      { name: 'document-store', check: () => store.ping() },
      { name: 'event-bus', check: () => bus.ping() },
      { name: 'blob-store', check: () => blobs.ping() },
      { name: 'kv', check: () => deps.kv.ping() },
    ],
  });
  const processing = processingHandler({ collections, blobs, processor, logger, now, eventsQueued });

  const subscriptions: Subscription[] = [];
  let started = false;
  let stopping: Promise<void> | undefined;
  return {
    subgraph,
    service,
    relay,
    blobs,
    get url() {
      return subgraph.url;
    },
    setPublicUrl(url) {
      publicUrl = url.replace(/\/$/, '');
    },
    async start(port = config.FILE_PORT) {
      if (!started) {
        started = true;
        relay.start();
        const subscription = await subscribeProcessing(bus, processing, config.FILE_PROCESSING_CONCURRENCY);
        // A backlog of files waiting for processing is visible on /metrics (event_consumer_lag).
        watchConsumerLag(subgraph.metrics.registry, subscription);
        subscriptions.push(subscription);
        subscriptions.push(await subscribeUserEvents(bus, userEventsHandler(service, logger)));
        subscriptions.push(await subscribeShareEvents(bus, shareEventsHandler(collections, logger, now)));
      }
      return subgraph.start(port, config.FILE_HOST);
    },
    stop() {
      stopping ??= (async () => {
        // Uploads first: the subgraph's HTTP server does not count them and would cut them when it closes.
        await bytes.drain();
        await subgraph.stop();
        for (const subscription of subscriptions) await subscription.stop();
        await relay.stop();
        await processor.stop();
        await sniffer.stop();
        if (deps.ownsBlobs) await blobs.stop();
      })();
      return stopping;
    },
  };
}
