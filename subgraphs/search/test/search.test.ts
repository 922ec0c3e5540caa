/** The search suites on the embedded bus and the embedded search engine. */
import { embeddedTarget } from '@chatgraph/test-support';
import { startSearch } from './harness';
import { describeSearch } from './suites/search';

describeSearch('search (embedded)', embeddedTarget(startSearch));
