/**
 * The generation flow suite of flow.test.ts on the real servers: generation documents in
 * FerretDB/MongoDB (MONGO_URL), events through Kafka (KAFKA_BROKERS), token streams and the
 * control channel on Redis (REDIS_URL), each defaulting to CI's scripts/infra ports. A server
 * that cannot be reached fails the suite (start them with scripts/infra/*.sh up).
 */
import { realServers } from './harness';
import { describeFlow } from './suites/flow';

describe('generation flow on Kafka + FerretDB + Redis', () => describeFlow(realServers));
