import { Kafka, Partitioners, type Admin, type Producer } from 'kafkajs';
import { createLogger, type Logger } from '../../logger';
import type { ConsumedRecord } from '../delivery';
import { EventBusLifecycle, subscriptionDelivery } from '../lifecycle';
import { deadLetterTopic } from '../names';
import {
  EventBusUnavailableError,
  type EventBus,
  type EventHeaders,
  type EventToPublish,
  type PartitionLag,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
} from '../port';
import { prepareRecords, type OutgoingRecord } from '../publishing';
import { protocolType, toBusError } from './errors';
import { startWithRetries } from './joinRetry';
import { KafkaSubscription, type KafkaConsumerTuning } from './kafkaSubscription';
import { kafkaLogCreator } from './logging';
import { TopicAdmin } from './topicAdmin';

export interface KafkaEventBusOptions {
  /** `host:port` of one or more brokers (use 127.0.0.1, not localhost). */
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** Partitions of topics this bus creates (default 3). */
  partitions?: number;
  /** Replicas of topics this bus creates: 1 for a single broker (default), 3 in production. */
  replicationFactor?: number;
  /** TCP connect timeout per broker (default 3 s). */
  connectionTimeoutMs?: number;
  /** Per-request timeout (default 10 s). */
  requestTimeoutMs?: number;
  /**
   * Retries of a failing request inside kafkajs (default 5, at least 1, backing off up to 2 s) before
   * `publish` rejects; callers such as the outbox relay retry on their own schedule after that.
   */
  retries?: number;
  consumer?: KafkaConsumerTuning;
  /**
   * Prefix of every Kafka topic and consumer group of this bus (default none), so several
   * deployments — or test runs — share one cluster without reading each other's events. Handlers
   * and publishers use the contracts' topic names; only Kafka sees the prefixed ones.
   */
  namespace?: string;
}

const PING_TIMEOUT_MS = 5000;

/**
 * The Kafka adapter (kafkajs). The producer is idempotent with `acks=all` and one request in
 * flight, so a retried send neither duplicates nor reorders a partition's records. Each
 * subscription is its own consumer-group member.
 */
class KafkaEventBus implements EventBus {
  private readonly lifecycle = new EventBusLifecycle('the Kafka event bus');
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly topics: TopicAdmin;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly logger: Logger;
  private readonly namespace: string;

  constructor(private readonly options: KafkaEventBusOptions) {
    this.namespace = options.namespace ?? '';
    this.logger = options.logger ?? createLogger({ name: 'event-bus', level: 'silent' });
    // The idempotent producer refuses to run without retries.
    const retries = Math.max(1, options.retries ?? 5);
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      retry: { retries, initialRetryTime: 100, maxRetryTime: 2000 },
      logCreator: kafkaLogCreator(this.logger),
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
    this.topics = new TopicAdmin(this.admin, options.partitions ?? 3, options.replicationFactor ?? 1);
  }

  start(): Promise<void> {
    return this.lifecycle.start(async () => {
      try {
        await this.admin.connect();
        await this.producer.connect();
      } catch (error) {
        await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
        this.lifecycle.abandon();
        throw toBusError(error, this.options.brokers, 'connecting');
      }
    });
  }

  async publish(topic: string, events: readonly EventToPublish[], options?: PublishOptions): Promise<void> {
    // Handlers still finishing while the bus stops may publish; the producer closes after them.
    this.lifecycle.requireRunning('publish', true);
    const records = prepareRecords(topic, events, options);
    if (records.length > 0) await this.send(topic, records);
  }

  private async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    const physical = this.namespace + topic;
    try {
      await this.topics.ensure([physical]);
      await this.producer.send({
        topic: physical,
        acks: -1,
        messages: records.map(({ key, value, headers }) => ({ key, value, headers })),
      });
    } catch (error) {
      if (protocolType(error) === 'UNKNOWN_TOPIC_OR_PARTITION') this.topics.forget(physical);
      throw toBusError(error, this.options.brokers, `publishing to ${topic}`);
    }
  }

  private readonly deadLetter = (record: ConsumedRecord, headers: EventHeaders): Promise<void> =>
    this.send(deadLetterTopic(record.topic), [{ key: record.key, value: record.value ?? '', headers }]);

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.lifecycle.requireRunning('subscribe');
    const delivery = subscriptionDelivery(options, this.logger);
    const topics = options.topics.map((topic) => this.namespace + topic);
    try {
      await this.topics.ensure(topics);
    } catch (error) {
      throw toBusError(error, this.options.brokers, 'creating topics');
    }
    const join = async (): Promise<KafkaSubscription> => {
      await this.topics.ensure(topics); // again after a retry forgot them: their leaders are checked anew
      const joining = new KafkaSubscription(this.namespace + options.groupId, {
        kafka: this.kafka,
        topics,
        namespace: this.namespace,
        delivery,
        deadLetter: this.deadLetter,
        tuning: this.options.consumer ?? {},
        logger: this.logger,
      });
      this.subscriptions.add(joining);
      try {
        await joining.start();
        return joining;
      } catch (error) {
        this.subscriptions.delete(joining);
        throw error;
      }
    };
    let subscription: KafkaSubscription;
    try {
      subscription = await startWithRetries(join, (error, attempt) => {
        this.logger.warn({ err: error, groupId: options.groupId, attempt }, 'Kafka is not ready for this consumer yet; joining again');
        for (const topic of topics) this.topics.forget(topic);
      });
    } catch (error) {
      throw toBusError(error, this.options.brokers, `joining group ${options.groupId}`);
    }
    const stop = subscription.stop.bind(subscription);
    return {
      groupId: options.groupId,
      topics: [...options.topics],
      lag: () => this.lagOf(this.namespace + options.groupId, options.topics),
      stop: async () => {
        this.subscriptions.delete(subscription);
        await stop();
      },
    };
  }

  /** A group's lag from the broker: each partition's high watermark minus the group's committed offset (the low watermark when it never committed). */
  private async lagOf(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    const physical = topics.map((topic) => this.namespace + topic);
    const [committed, ends] = await Promise.all([
      this.admin.fetchOffsets({ groupId, topics: physical }),
      Promise.all(physical.map((topic) => this.admin.fetchTopicOffsets(topic))),
    ]);
    return topics.flatMap((topic, i) => {
      const group = committed.find((entry) => entry.topic === physical[i])?.partitions ?? [];
      return (ends[i] ?? []).map(({ partition, high, low }) => {
        const offset = Number(group.find((p) => p.partition === partition)?.offset ?? '-1');
        const from = offset >= 0 ? offset : Number(low);
        return { topic, partition, lag: Math.max(0, Number(high) - from) };
      });
    });
  }

  stop(): Promise<void> {
    return this.lifecycle.stop(
      // Consumers first: their in-flight handlers may still publish or dead-letter through the producer.
      async () => {
        await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.stop()));
        this.subscriptions.clear();
      },
      async () => {
        await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
      },
    );
  }

  async ping(): Promise<void> {
    this.lifecycle.requireRunning('accept events');
    // Readiness probes need an answer in seconds, not after kafkajs's full retry schedule.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new EventBusUnavailableError(`Kafka at ${this.options.brokers.join(',')} did not answer a ping within ${PING_TIMEOUT_MS} ms`),
          ),
        PING_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.admin.describeCluster(), timeout]);
    } catch (error) {
      throw toBusError(error, this.options.brokers, 'ping');
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Creates the Kafka event bus. Nothing connects until `start()`. */
export function createKafkaEventBus(options: KafkaEventBusOptions): EventBus {
  if (options.brokers.length === 0) throw new Error('createKafkaEventBus needs at least one broker');
  if (options.namespace && !/^[A-Za-z0-9._-]{1,100}$/.test(options.namespace))
    throw new Error('the Kafka namespace may hold only letters, digits, `.`, `_` and `-` (at most 100)');
  return new KafkaEventBus(options);
}
