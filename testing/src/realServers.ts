/**
 * Where the real servers of `*.real.test.ts` listen: the environment's URLs, defaulting to the
 * ports `scripts/infra/*.sh up` uses (whatever CHATGRAPH_INFRA_DIR their state lives in).
 */
export const REAL_SERVERS = {
  /** FerretDB (or MongoDB): `bash scripts/infra/mongo.sh up`. */
  mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27027',
  /** Kafka: `bash scripts/infra/kafka.sh up`. */
  kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  /** Redis: `bash scripts/infra/redis.sh up`. */
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6390',
  /** Elasticsearch: `bash scripts/infra/elasticsearch.sh up`. */
  esUrl: process.env.ES_URL ?? 'http://127.0.0.1:9250',
} as const;

/** Which real servers a service runs on; each gets a namespace of this run's own. */
export interface RealServerChoice {
  /** DOCUMENT_STORE=mongodb, a database prefix of its own. */
  documentStore?: boolean;
  /**
   * EVENT_BUS=kafka; `own-topics` adds a topic and group namespace of its own, so the consumers
   * never replay other runs' events; `shared-topics` leaves the topics shared (the test filters).
   */
  eventBus?: 'own-topics' | 'shared-topics';
  /** KV_STORE=redis, a key prefix of its own. */
  kv?: boolean;
}

let runs = 0;

/** A name no other run, file or call uses (the pid, the time and a counter). */
export function runId(): string {
  runs += 1;
  return `test_${process.pid}_${Date.now()}_${runs}`;
}

/**
 * The configuration that puts a service on the chosen real servers, each under a fresh namespace
 * so reruns (and the next suite of the same file) never see old documents, events or keys.
 */
export function realServersEnv(choice: RealServerChoice): Record<string, string> {
  const run = runId();
  return {
    ...(choice.documentStore ? { DOCUMENT_STORE: 'mongodb', MONGO_URL: REAL_SERVERS.mongoUrl, MONGO_DB_PREFIX: `${run}_` } : {}),
    ...(choice.eventBus ? { EVENT_BUS: 'kafka', KAFKA_BROKERS: REAL_SERVERS.kafkaBrokers } : {}),
    ...(choice.eventBus === 'own-topics' ? { KAFKA_NAMESPACE: `${run}.` } : {}),
    ...(choice.kv ? { KV_STORE: 'redis', REDIS_URL: REAL_SERVERS.redisUrl, REDIS_KEY_PREFIX: `${run}:` } : {}),
  };
}
