import { Kafka, logLevel, type Admin } from 'kafkajs';
import { TopicAdmin } from '../../src/events/kafka/topicAdmin';
import { unique, uniqueTopic } from './helpers';
import { kafkaBrokers, requireKafka } from './kafkaSetup';

beforeAll(requireKafka);

const admins: Admin[] = [];
async function admin(): Promise<Admin> {
  const client = new Kafka({ clientId: unique('admin'), brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await client.connect();
  admins.push(client);
  return client;
}
afterAll(async () => {
  await Promise.all(admins.map((a) => a.disconnect()));
});

describe('creating topics on demand (Kafka)', () => {
  it('resolves only once every partition has a leader, also when another service created the topic a moment before', async () => {
    const partitions = 48;
    const [first, second] = await Promise.all([admin(), admin()]);
    // Another service creates the topics without waiting for their leaders; this one ensures them
    // right after and would subscribe at once.
    const topics = Array.from({ length: 4 }, () => uniqueTopic('race'));
    await first.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      waitForLeaders: false,
    });
    const ensured = new TopicAdmin(second, partitions, 1);
    await ensured.ensure(topics);

    // A fresh client's first metadata request (what a consumer's subscribe does) finds them all led.
    const fresh = await admin();
    const { topics: metadata } = await fresh.fetchTopicMetadata({ topics });
    const seen = metadata.map((t) => ({
      topic: t.name,
      partitions: t.partitions.length,
      leaderless: t.partitions.filter((p) => p.leader < 0).length,
    }));
    expect(seen.sort((a, b) => a.topic.localeCompare(b.topic))).toEqual(
      topics.sort().map((topic) => ({ topic, partitions, leaderless: 0 })),
    );
  });

  it('gives up with the reason when the topic never gets a leader within its bound', async () => {
    const client = await admin();
    // A topic that does not exist and that createTopics is not allowed to create: an admin whose
    // createTopics answers "already exists" (false) for a topic nobody made.
    const liar = Object.assign(Object.create(client) as Admin, { createTopics: async () => false });
    const ensured = new TopicAdmin(liar, 3, 1, 300);
    await expect(ensured.ensure([uniqueTopic('ghost')])).rejects.toThrow(/without a leader after 300 ms/);
  });
});
