/**
 * The tool loop suite of toolLoop.test.ts on the real servers: `generation.requested` and
 * `file.file.v1` through Kafka, documents in FerretDB/MongoDB, token streams and the stop channel
 * on Redis, and the file chunk index on Elasticsearch (ES_URL), each under a namespace of its own.
 */
import { createLogger } from '@chatgraph/kit';
import { createElasticsearchIndex } from '@chatgraph/kit/search';
import { REAL_SERVERS, runId } from '@chatgraph/test-support';
import { fileChunkIndexDefinition } from '../src/tools/fileChunks';
import { realServersEnv, startAiGateway } from './harness';
import { describeToolLoop } from './suites/toolLoop';

describe('the tool loop on Kafka + FerretDB + Redis + Elasticsearch', () =>
  describeToolLoop({
    start: (options) => startAiGateway({ ...options, env: { ...realServersEnv(), ...options.env } }),
    newIndex: () =>
      createElasticsearchIndex({
        node: REAL_SERVERS.esUrl,
        index: fileChunkIndexDefinition(`tool-loop-${runId()}`.toLowerCase()),
        logger: createLogger({ name: 'index', level: 'silent' }),
      }),
    tries: 3_000,
  }));
