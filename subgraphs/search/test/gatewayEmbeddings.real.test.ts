/**
 * Semantic search with ai-gateway's embeddings (a fake of its signed route, 24 dimensions) on
 * Kafka and Elasticsearch: the index's `dense_vector` mapping takes the model's dimensions
 * (SEARCH_EMBEDDING_DIMENSIONS), and the kNN query filters on the query's model.
 */
import { realTarget } from '@chatgraph/test-support';
import { dropRealIndexes, realServersEnv, startSearch } from './harness';
import { describeGatewayEmbeddings } from './suites/embeddings';

describeGatewayEmbeddings('search with ai-gateway embeddings (Kafka + Elasticsearch)', realTarget(startSearch, realServersEnv));

afterAll(() => dropRealIndexes());
