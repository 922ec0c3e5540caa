import type { Logger } from '../../logger';
import type { ConsumedRecord, DeliveryContext } from '../delivery';
import type { EventHeaders } from '../port';
import type { GroupOffsets } from './groupOffsets';
import { PartitionWorker } from './partitionWorker';
import type { TopicLog } from './topicLog';

/** A member of an embedded consumer group (one `subscribe` call). */
export interface GroupMember {
  topics: readonly string[];
  delivery: Omit<DeliveryContext, 'sleep' | 'deadLetter'>;
  /** Records of one partition handled at once, each key's in order (`SubscribeOptions.maxInFlightPerPartition`). */
  maxInFlight: number;
}

/** What a group needs from the bus. */
export interface GroupHost {
  topicLog(topic: string): Promise<TopicLog>;
  deadLetter(record: ConsumedRecord, headers: EventHeaders): Promise<void>;
  logger: Logger;
}

/**
 * An embedded consumer group: its members share the partitions of their topics, as in Kafka.
 * Membership changes rebalance eagerly, like Kafka's classic protocol: every worker stops (the
 * record in hand finishes and is committed) before partitions are handed out again, so two
 * members never handle the same partition at once and per-key order survives the move.
 */
export class EmbeddedConsumerGroup {
  private readonly members: GroupMember[] = [];
  private workers: PartitionWorker[] = [];
  /** Rebalances run one after another. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    readonly groupId: string,
    private readonly offsets: GroupOffsets,
    private readonly host: GroupHost,
  ) {}

  /** The group's committed offset on a partition (the next offset it will handle). */
  committed(topic: string, partition: number): number {
    return this.offsets.get(topic, partition);
  }

  join(member: GroupMember): Promise<void> {
    return this.enqueue(async () => {
      if (this.stopped) throw new Error(`consumer group ${this.groupId} is stopped`);
      this.members.push(member);
      await this.rebalance();
    });
  }

  leave(member: GroupMember): Promise<void> {
    return this.enqueue(async () => {
      const index = this.members.indexOf(member);
      if (index < 0) return;
      this.members.splice(index, 1);
      await this.rebalance();
    });
  }

  /** Stops every worker (draining) and writes the committed offsets. */
  stop(): Promise<void> {
    return this.enqueue(async () => {
      this.stopped = true;
      await this.stopWorkers();
      await this.offsets.flush();
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async stopWorkers(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((worker) => worker.stop()));
  }

  private async rebalance(): Promise<void> {
    await this.stopWorkers();
    if (this.stopped) return;
    const topics = [...new Set(this.members.flatMap((member) => member.topics))].sort();
    // Round-robin over every topic-partition, among the members subscribed to its topic.
    let turn = 0;
    for (const topic of topics) {
      const log = await this.host.topicLog(topic);
      const eligible = this.members.filter((member) => member.topics.includes(topic));
      for (let partition = 0; partition < log.partitions; partition++) {
        const member = eligible[turn++ % eligible.length];
        if (!member) continue;
        const context = {
          delivery: member.delivery,
          offsets: this.offsets,
          deadLetter: this.host.deadLetter,
          logger: this.host.logger,
          maxInFlight: member.maxInFlight,
        };
        this.workers.push(new PartitionWorker(log, partition, context));
      }
    }
  }
}
