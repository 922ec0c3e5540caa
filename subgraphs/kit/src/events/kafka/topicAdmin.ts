import type { Admin } from 'kafkajs';

/** How long `ensure` waits for a topic's partitions to get leaders before giving up. */
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * Creates topics on demand with the bus's partition count, so a service never depends on the
 * broker's auto-creation defaults, and resolves only once every partition of each topic has a
 * leader. Known topics are cached; `forget` drops one after the broker said it does not exist
 * (e.g. the cluster was reset), so the next use creates it again.
 *
 * Why wait for leaders even when the topic already existed: when two services start together,
 * one creates a topic and the other's `createTopics` answers "already exists" at once, while the
 * partitions may still have no leader. A consumer subscribing then fails with "This server does
 * not host this topic-partition" and the service refuses to start (seen on a loaded CI machine).
 */
export class TopicAdmin {
  private readonly known = new Set<string>();
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: Admin,
    private readonly partitions: number,
    private readonly replicationFactor: number,
    private readonly leadersTimeoutMs = LEADERS_TIMEOUT_MS,
  ) {}

  async ensure(topics: readonly string[]): Promise<void> {
    await Promise.all(topics.filter((topic) => !this.known.has(topic)).map((topic) => this.create(topic)));
  }

  private create(topic: string): Promise<void> {
    let pending = this.creating.get(topic);
    if (!pending) {
      pending = this.admin
        .createTopics({
          topics: [{ topic, numPartitions: this.partitions, replicationFactor: this.replicationFactor }],
          waitForLeaders: true,
        })
        // false = it already existed, which is just as good once its partitions have leaders.
        .then((created) => (created ? undefined : this.leadersOf(topic)))
        .then(() => void this.known.add(topic))
        .finally(() => this.creating.delete(topic));
      this.creating.set(topic, pending);
    }
    return pending;
  }

  /** Resolves once every partition of `topic` has a leader (the metadata may not know it yet). */
  private async leadersOf(topic: string): Promise<void> {
    const deadline = Date.now() + this.leadersTimeoutMs;
    let waitMs = 50;
    let last = 'no metadata yet';
    while (Date.now() < deadline) {
      try {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
        const partitions = topics.find((t) => t.name === topic)?.partitions ?? [];
        const leaderless = partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0);
        if (partitions.length > 0 && leaderless.length === 0) return;
        last = partitions.length === 0 ? 'no partitions yet' : `${leaderless.length} of ${partitions.length} partitions without a leader`;
      } catch (error) {
        // UNKNOWN_TOPIC_OR_PARTITION / LEADER_NOT_AVAILABLE while the controller catches up.
        last = error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      waitMs = Math.min(waitMs * 2, 1000);
    }
    throw new Error(`topic ${topic} has partitions without a leader after ${this.leadersTimeoutMs} ms (${last})`);
  }

  forget(topic: string): void {
    this.known.delete(topic);
  }
}
