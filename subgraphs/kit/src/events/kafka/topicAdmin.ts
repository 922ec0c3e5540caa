import type { Admin } from 'kafkajs';

/**
 * Creates topics on demand with the bus's partition count, so a service never depends on the
 * broker's auto-creation defaults. Known topics are cached; `forget` drops one after the broker
 * said it does not exist (e.g. the cluster was reset), so the next use creates it again.
 */
export class TopicAdmin {
  private readonly known = new Set<string>();
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: Admin,
    private readonly partitions: number,
    private readonly replicationFactor: number,
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
        // false = it already existed, which is just as good.
        .then(() => void this.known.add(topic))
        .finally(() => this.creating.delete(topic));
      this.creating.set(topic, pending);
    }
    return pending;
  }

  forget(topic: string): void {
    this.known.delete(topic);
  }
}
