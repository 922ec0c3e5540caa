import { createLogger } from '@chatgraph/kit';
import { createEmbeddedSearchIndex } from '@chatgraph/kit/search';
import { fileChunkIndexDefinition } from '../src/tools/fileChunks';
import { startAiGateway } from './harness';
import { describeToolLoop } from './suites/toolLoop';

// The same suite runs on Kafka + FerretDB + Redis + Elasticsearch in toolLoop.real.test.ts.
describeToolLoop({
  start: (options) => startAiGateway(options),
  newIndex: () =>
    createEmbeddedSearchIndex({
      definition: fileChunkIndexDefinition('tool-loop-test'),
      logger: createLogger({ name: 'index', level: 'silent' }),
    }),
  tries: 1_000,
});
