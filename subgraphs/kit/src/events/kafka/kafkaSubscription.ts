import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../logger';
import { abortableSleep, deliverRecord, type ConsumedRecord, type DeliveryContext } from '../delivery';
import { EventBusUnavailableError, type EventHeaders, type Subscription } from '../port';

/** Consumer timing; defaults are kafkajs's (session 30 s, heartbeat 3 s, rebalance 60 s). */
export interface KafkaConsumerTuning {
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /** Partitions handled at once by one member (records of one partition are always sequential). Default 3. */
  partitionsConsumedConcurrently?: number;
  /**
   * Longest a fetch waits on the broker for new records (default 1 s; kafkajs's own default is
   * 5 s). `stop()` waits for the fetch in flight, so this bounds how long a drain takes.
   */
  maxWaitTimeMs?: number;
  /** How long `subscribe` waits for the member to join its group. Default 30 s. */
  joinTimeoutMs?: number;
}

export interface KafkaSubscriptionOptions {
  kafka: Kafka;
  /** Kafka's topic names (with the bus's namespace). */
  topics: readonly string[];
  /** The bus's namespace, removed from topic names before records reach handlers. */
  namespace: string;
  delivery: Omit<DeliveryContext, 'sleep' | 'deadLetter'>;
  deadLetter(record: ConsumedRecord, headers: EventHeaders): Promise<void>;
  tuning: KafkaConsumerTuning;
  logger: Logger;
}

function headerText(value: IHeaders[string]): string | undefined {
  const last = Array.isArray(value) ? value.at(-1) : value;
  return last === undefined ? undefined : last.toString();
}

function consumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  const headers: EventHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const text = headerText(value);
    if (text !== undefined) headers[name] = text;
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? '',
    value: message.value?.toString() ?? null,
    headers,
  };
}

/**
 * One consumer-group member on Kafka. It uses `eachBatch` with manual offset resolution: an
 * offset is resolved only once its record was handled or dead-lettered, so stopping in the middle
 * of retries leaves the record to be delivered again; kafkajs commits resolved offsets after each
 * batch, on rebalance and on stop. Heartbeats keep going while a handler or a backoff runs.
 * Its lag is read through the bus's admin client (the bus wraps it in the `Subscription` it returns).
 */
export class KafkaSubscription implements Omit<Subscription, 'lag'> {
  private readonly consumer: Consumer;
  private readonly abort = new AbortController();
  private stopping: Promise<void> | undefined;
  private readonly heartbeatMs: number;

  constructor(
    readonly groupId: string,
    private readonly options: KafkaSubscriptionOptions,
  ) {
    const { tuning } = options;
    this.heartbeatMs = tuning.heartbeatIntervalMs ?? 3000;
    this.consumer = options.kafka.consumer({
      groupId,
      sessionTimeout: tuning.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.heartbeatMs,
      rebalanceTimeout: tuning.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeInMs: tuning.maxWaitTimeMs ?? 1000,
      allowAutoTopicCreation: false,
    });
  }

  get topics(): readonly string[] {
    return this.options.topics;
  }

  /** Connects, subscribes and resolves once the member has joined its group. */
  async start(): Promise<void> {
    const { consumer } = this;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.options.logger.error({ groupId: this.groupId, err: payload.error, restart: payload.restart }, 'Kafka consumer crashed');
    });
    let removeListener = (): void => undefined;
    const joined = new Promise<void>((resolve) => {
      removeListener = consumer.on(consumer.events.GROUP_JOIN, () => resolve());
    });
    const joinTimeoutMs = this.options.tuning.joinTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EventBusUnavailableError(`consumer group ${this.groupId} was not joined within ${joinTimeoutMs} ms`)),
        joinTimeoutMs,
      );
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.tuning.partitionsConsumedConcurrently ?? 3,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      await Promise.race([joined, timedOut]);
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
      removeListener();
    }
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const context: DeliveryContext = {
      ...this.options.delivery,
      sleep: (ms) => abortableSleep(this.abort.signal, ms),
      deadLetter: this.options.deadLetter,
    };
    // A long handler or backoff must not look like a dead member to the group coordinator.
    const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), this.heartbeatMs);
    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale() || this.abort.signal.aborted) break;
        const outcome = await deliverRecord(
          consumedRecord(batch.topic.slice(this.options.namespace.length), batch.partition, message),
          context,
        );
        if (outcome === 'aborted') break;
        resolveOffset(message.offset);
        // Throws when the group is rebalancing: kafkajs commits what was resolved and rejoins.
        await heartbeat();
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Lets the record in hand finish, commits, and leaves the group. Safe twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.consumer.disconnect();
    })();
    return this.stopping;
  }
}
