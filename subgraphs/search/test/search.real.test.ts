/**
 * The search suites on Kafka (topics of their own) and Elasticsearch (an index of their own, at
 * ES_URL, default `scripts/infra/elasticsearch.sh up`'s port 9250). An unreachable server fails
 * the suite: nothing skips.
 */
import { realTarget } from '@chatgraph/test-support';
import { dropRealIndexes, realServersEnv, startSearch } from './harness';
import { describeSearch } from './suites/search';

describeSearch('search (Kafka + Elasticsearch)', realTarget(startSearch, realServersEnv));

afterAll(() => dropRealIndexes());
