import { Gauge, type Registry } from 'prom-client';
import type { Subscription } from './port';

/**
 * Consumer lag on a service's `/metrics`: `event_consumer_lag{group,topic}`, the events of a topic
 * its consumer group has not handled yet (log end minus committed offset, summed over the topic's
 * partitions), read from the bus at each scrape. A group whose lag cannot be read (Kafka down) is
 * left out of that scrape rather than reported as 0.
 */

const NAME = 'event_consumer_lag';
const watched = new WeakMap<Registry, Set<Subscription>>();

/** Reports `subscription`'s lag on `registry` from now on; call the returned function to stop. */
export function watchConsumerLag(registry: Registry, subscription: Subscription): () => void {
  let subscriptions = watched.get(registry);
  if (!subscriptions) {
    const set = new Set<Subscription>();
    subscriptions = set;
    watched.set(registry, set);
    new Gauge({
      name: NAME,
      help: 'Events a consumer group has not handled yet, per topic (log end minus committed offset, over every partition)',
      labelNames: ['group', 'topic'],
      registers: [registry],
      async collect() {
        this.reset();
        const lags = await Promise.all([...set].map(async (s) => ({ groupId: s.groupId, lags: await s.lag().catch(() => undefined) })));
        for (const { groupId, lags: partitions } of lags) {
          if (!partitions) continue;
          const byTopic = new Map<string, number>();
          for (const { topic, lag } of partitions) byTopic.set(topic, (byTopic.get(topic) ?? 0) + lag);
          for (const [topic, lag] of byTopic) this.set({ group: groupId, topic }, lag);
        }
      },
    });
  }
  const set = subscriptions;
  set.add(subscription);
  return () => void set.delete(subscription);
}
