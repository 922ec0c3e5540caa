import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../logger';
import { acquireLock, type DirectoryLock } from '../../durability/lock';
import type { ConsumedRecord } from '../delivery';
import { EventBusLifecycle, subscriptionDelivery } from '../lifecycle';
import { deadLetterTopic } from '../names';
import {
  type EventBus,
  type EventHeaders,
  type EventToPublish,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
} from '../port';
import { prepareRecords } from '../publishing';
import { EventLogDamagedError, findProblems } from './check';
import { EmbeddedConsumerGroup, type GroupMember } from './consumerGroup';
import { DB_FILE, EventDb, type RetentionPolicy } from './eventDb';
import { GroupOffsets } from './groupOffsets';
import { manifestOf, writeManifest } from './manifest';
import { migrateLegacyFiles } from './migrateFiles';
import { partitionOf } from './partitioning';
import { TopicLog } from './topicLog';

export interface EmbeddedEventBusOptions {
  /** The bus's own directory (`events.db`, `events.json`, lock file); created if missing. */
  dataDir: string;
  /** Partitions of each new topic (default 3). Existing topics keep the count they were created with. */
  partitions?: number;
  /**
   * Records every group has handled are deleted once older than `retentionMs` (default 7 days),
   * keeping the newest `minRecords` of each partition (default 1000). Compaction runs at start,
   * at stop and every `compactEveryMs` (default 60 s).
   */
  retention?: Partial<RetentionPolicy> & { compactEveryMs?: number };
  logger?: Logger;
}

/** Default retention of handled records. */
export const DEFAULT_RETENTION: RetentionPolicy = { retentionMs: 7 * 24 * 3600 * 1000, minRecords: 1000 };

/**
 * The embedded event bus: Kafka's semantics in one process. Topics are durable logs split into
 * partitions by key; consumer groups share partitions and commit offsets; failing events are
 * retried with backoff and then dead-lettered. It is single-process by design (a lock file
 * guards the directory): members of one group in one process share partitions, but two
 * processes need Kafka. Everything lives in one SQLite database (`events.db`, see eventDb.ts);
 * a directory of the older per-topic files is imported on first start; a damaged database
 * stops the start with what is wrong and how to repair it.
 */
class EmbeddedEventBus implements EventBus {
  private readonly lifecycle = new EventBusLifecycle('the embedded event bus');
  private lock: DirectoryLock | undefined;
  private db: EventDb | undefined;
  private compactTimer: NodeJS.Timeout | undefined;
  private readonly retention: RetentionPolicy;
  private readonly compactEveryMs: number;
  private readonly topics = new Map<string, Promise<TopicLog>>();
  private readonly groups = new Map<string, Promise<EmbeddedConsumerGroup>>();
  /** Logs opened so far, for `ping()`. */
  private readonly opened: TopicLog[] = [];
  private publishing = 0;
  private publishesDone: Array<() => void> = [];
  private readonly logger: Logger;
  private readonly partitions: number;

  constructor(
    private readonly dataDir: string,
    options: EmbeddedEventBusOptions,
  ) {
    this.logger = options.logger ?? createLogger({ name: 'event-bus', level: 'silent' });
    this.partitions = options.partitions ?? 3;
    if (!Number.isInteger(this.partitions) || this.partitions < 1) throw new Error('partitions must be a positive integer');
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.compactEveryMs = options.retention?.compactEveryMs ?? 60_000;
    if (!(this.retention.retentionMs >= 0) || !Number.isInteger(this.retention.minRecords) || this.retention.minRecords < 0)
      throw new Error('retention must be non-negative');
  }

  start(): Promise<void> {
    return this.lifecycle.start(async () => {
      await mkdir(this.dataDir, { recursive: true });
      this.lock = await acquireLock(this.dataDir, this.logger);
      try {
        await this.open();
      } catch (error) {
        await this.db?.close();
        await this.lock.release();
        throw error;
      }
    });
  }

  /** Checks, opens (importing old files) and compacts the database; nothing of the topics is read into memory. */
  private async open(): Promise<void> {
    const problems = await findProblems(this.dataDir, { full: false });
    if (problems.length > 0)
      throw new EventLogDamagedError({ file: join(this.dataDir, DB_FILE), ok: false, problems, repaired: false, lost: [] });
    const db = EventDb.open(join(this.dataDir, DB_FILE));
    this.db = db;
    await migrateLegacyFiles(this.dataDir, db, this.logger);
    this.compact();
    await writeManifest(this.dataDir, manifestOf(db));
    this.compactTimer = setInterval(() => this.compact(), this.compactEveryMs);
    this.compactTimer.unref();
  }

  private compact(): void {
    try {
      const deleted = this.db?.compact(this.retention, Date.now()) ?? 0;
      if (deleted > 0) this.logger.debug({ deleted }, 'deleted handled events past retention');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not compact the event log; will try again');
    }
  }

  private get database(): EventDb {
    if (!this.db) throw new Error('the embedded event bus is not started');
    return this.db;
  }

  topicLog(topic: string): Promise<TopicLog> {
    let log = this.topics.get(topic);
    if (!log) {
      log = Promise.resolve().then(() => TopicLog.open(this.database, topic, this.partitions));
      this.topics.set(topic, log);
      log.then(
        (opened) => this.opened.push(opened),
        () => this.topics.delete(topic),
      );
    }
    return log;
  }

  async publish(topic: string, events: readonly EventToPublish[], options?: PublishOptions): Promise<void> {
    // Handlers still finishing while the bus stops may publish: their events must not be lost.
    this.lifecycle.requireRunning('publish', true);
    const records = prepareRecords(topic, events, options);
    if (records.length > 0) await this.append(topic, records);
  }

  private async append(topic: string, records: ReadonlyArray<{ key: string; value: string; headers: EventHeaders }>): Promise<void> {
    this.publishing++;
    try {
      const log = await this.topicLog(topic);
      await log.append(records.map((record) => ({ ...record, partition: partitionOf(record.key, log.partitions) })));
    } finally {
      if (--this.publishing === 0) for (const resolve of this.publishesDone.splice(0)) resolve();
    }
  }

  private readonly deadLetter = (record: ConsumedRecord, headers: EventHeaders): Promise<void> =>
    this.append(deadLetterTopic(record.topic), [{ key: record.key, value: record.value ?? '', headers }]);

  private group(groupId: string): Promise<EmbeddedConsumerGroup> {
    let group = this.groups.get(groupId);
    if (!group) {
      const host = { topicLog: (topic: string) => this.topicLog(topic), deadLetter: this.deadLetter, logger: this.logger };
      group = Promise.resolve()
        .then(() => GroupOffsets.open(this.database, groupId, this.logger))
        .then((offsets) => new EmbeddedConsumerGroup(groupId, offsets, host));
      this.groups.set(groupId, group);
      group.catch(() => this.groups.delete(groupId));
    }
    return group;
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.lifecycle.requireRunning('subscribe');
    const inFlight = options.maxInFlightPerPartition;
    if (inFlight !== undefined && !(Number.isInteger(inFlight) && inFlight >= 1))
      throw new Error('maxInFlightPerPartition must be a positive integer');
    const delivery = subscriptionDelivery(options, this.logger);
    const topics = [...options.topics];
    await Promise.all(topics.map((topic) => this.topicLog(topic)));
    const member: GroupMember = { topics, delivery, maxInFlight: options.maxInFlightPerPartition ?? 1 };
    const group = await this.group(options.groupId);
    await group.join(member);
    let leaving: Promise<void> | undefined;
    return {
      groupId: options.groupId,
      topics,
      lag: async () => {
        const logs = await Promise.all(topics.map((topic) => this.topicLog(topic)));
        return logs.flatMap((log) =>
          Array.from({ length: log.partitions }, (_, partition) => ({
            topic: log.topic,
            partition,
            lag: Math.max(0, log.endOffset(partition) - group.committed(log.topic, partition)),
          })),
        );
      },
      stop: () => (leaving ??= group.leave(member)),
    };
  }

  stop(): Promise<void> {
    return this.lifecycle.stop(
      async () => {
        const groups = await Promise.all([...this.groups.values()].map((group) => group.catch(() => undefined)));
        await Promise.all(groups.map((group) => group?.stop()));
        if (this.publishing > 0) await new Promise<void>((resolve) => this.publishesDone.push(resolve));
      },
      async () => {
        const logs = await Promise.all([...this.topics.values()].map((log) => log.catch(() => undefined)));
        await Promise.all(logs.map((log) => log?.close()));
        clearInterval(this.compactTimer);
        if (this.db) {
          this.compact();
          // Marks and offsets as of this clean stop: what a repair restores if the database is lost.
          await writeManifest(this.dataDir, manifestOf(this.db)).catch((error: unknown) =>
            this.logger.warn({ err: error }, 'could not write events.json'),
          );
          await this.db.close();
          this.db = undefined;
        }
        await this.lock?.release();
      },
    );
  }

  async ping(): Promise<void> {
    this.lifecycle.requireRunning('accept events');
    const failure = this.opened.find((log) => log.failed)?.failed;
    if (failure) throw new Error(`the embedded event bus cannot write: ${failure.message}`);
  }
}

/** Creates the embedded event bus. Nothing touches `dataDir` until `start()`. */
export function createEmbeddedEventBus(options: EmbeddedEventBusOptions): EventBus {
  return new EmbeddedEventBus(options.dataDir, options);
}
