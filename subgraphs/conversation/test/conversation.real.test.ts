/**
 * The conversation suites of the embedded run (lifecycle, branching, limits, access, consumer,
 * paging, sharing, batching, files, assistants) on the real servers: documents in FerretDB, events through Kafka,
 * every call signed as the router signs it.
 *
 * Each suite starts its own conversation service on a fresh database, one at a time (jest runs a
 * file's describe blocks in order, each disposing its harness in afterAll before the next starts):
 * the completion consumer joins a fixed Kafka consumer group, and a second member of that group
 * would take partitions whose events belong to another database. FerretDB answers a non-_id query
 * in ~40 ms, so the paging and batching suites run with fewer rows.
 */
import { realServers } from './harness';
import { describeLifecycle } from './suites/lifecycle';
import { describeBranching } from './suites/branching';
import { describeLimits } from './suites/limits';
import { describeAccess } from './suites/access';
import { describeConsumer } from './suites/consumer';
import { describePaging } from './suites/paging';
import { describeSharing } from './suites/sharing';
import { describeBatching } from './suites/batching';
import { describeFiles } from './suites/files';
import { describeAssistants } from './suites/assistants';

describe('lifecycle', () => describeLifecycle(realServers));
describe('branching', () => describeBranching(realServers));
describe('limits', () => describeLimits(realServers));
describe('access', () => describeAccess(realServers));
describe('consumer', () => describeConsumer(realServers));
describe('paging', () => describePaging(realServers, { rows: 12 }));
describe('sharing', () => describeSharing(realServers));
describe('batching', () => describeBatching(realServers, { conversations: 20 }));
describe('files', () => describeFiles(realServers));
describe('assistants', () => describeAssistants(realServers));
