/**
 * The shared-files scenario (files-shares-scenario.ts) in distributed mode: every service in its
 * own process, files in GridFS on the MongoDB-compatible server, shares reaching the file service
 * through Kafka.
 */
import { startTestStack, type TestStack } from './distributedStack';
import { describeSharedFiles } from './files-shares-scenario';

let running: TestStack;

beforeAll(async () => {
  running = await startTestStack('file-shares', { env: { BLOB_STORE: 'gridfs', RATE_LIMITS: 'off' } });
}, 180_000);

afterAll(async () => {
  await running?.dispose();
});

describeSharedFiles('distributed, GridFS + Kafka', { url: () => running.stack.url, signingSecret: () => running.stack.signingSecret });
