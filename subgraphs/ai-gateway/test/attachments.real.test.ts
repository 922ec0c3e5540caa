/**
 * The attachments suite of attachments.test.ts on the real servers: the files read model in
 * FerretDB/MongoDB, `file.file.v1` and `generation.requested` through Kafka, token streams on Redis.
 */
import { realTarget } from '@chatgraph/test-support';
import { realServersEnv, startAiGateway } from './harness';
import { describeAttachments } from './suites/attachments';

describe('attached files reach the model on Kafka + FerretDB + Redis', () =>
  describeAttachments((catalog) => realTarget((env) => startAiGateway({ env, catalog }), realServersEnv)));
