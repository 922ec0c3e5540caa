/** Semantic search with ai-gateway's embeddings (a fake of its signed route), on the embedded bus and engine. */
import { embeddedTarget } from '@chatgraph/test-support';
import { startSearch } from './harness';
import { describeGatewayEmbeddings } from './suites/embeddings';

describeGatewayEmbeddings('search with ai-gateway embeddings (embedded)', embeddedTarget(startSearch));
