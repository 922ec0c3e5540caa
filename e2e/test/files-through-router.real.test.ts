/**
 * The file service end to end in distributed mode: every service in its own process, file's bytes
 * in GridFS on the MongoDB-compatible server, its events through Kafka, driven through the router
 * as a client would (files-scenarios.ts).
 */
import { createGridFsBlobStore, type BlobStore } from '@chatgraph/kit/blob';
import { blobKeys } from '@chatgraph/file';
import { MONGO_URL, startTestStack, type TestStack } from './distributedStack';
import { describeFilesThroughRouter } from './files-scenarios';

const MAX_PENDING = 3;
const TICKET_SECONDS = 10;
let running: TestStack;
let gridfs: BlobStore;

beforeAll(async () => {
  running = await startTestStack('files', {
    env: { BLOB_STORE: 'gridfs', FILE_MAX_PENDING_UPLOADS: String(MAX_PENDING), FILE_UPLOAD_TICKET_SECONDS: String(TICKET_SECONDS) },
  });
  // The stack's databases are named `<run>_<service>`: the run is its Kafka namespace without the dot.
  gridfs = createGridFsBlobStore({ uri: MONGO_URL, dbName: `${running.kafkaNamespace.slice(0, -1)}file` });
  await gridfs.start();
}, 180_000);

afterAll(async () => {
  await gridfs?.stop();
  await running?.dispose();
});

describe('files through the router (distributed, GridFS + Kafka)', () => {
  describeFilesThroughRouter(() => ({
    url: running.stack.url,
    // The launcher gives file the first router's origin (FILE_PUBLIC_URL): the URLs it hands out are used as they are.
    rebase: (url) => url,
    blobExists: (fileId) => gridfs.exists(blobKeys.original(fileId)),
    expiredTicket: async (create) => {
      const made = await create();
      // No secret to mint one with: wait the ticket out.
      await new Promise((resolve) => setTimeout(resolve, TICKET_SECONDS * 1000 + 500));
      return made;
    },
    maxPending: MAX_PENDING,
  }));
});
