/**
 * The file service end to end on the one-process stack behind `pnpm start`, driven over HTTP
 * through the router as a client would (files-scenarios.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { blobKeys, Capabilities } from '@chatgraph/file';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { describeFilesThroughRouter } from './files-scenarios';

let stack: EmbeddedStack;
let dataDir: string;
const MAX_PENDING = 3;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-files-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    RATE_LIMITS: 'off',
    FILE_MAX_PENDING_UPLOADS: String(MAX_PENDING),
  });
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('files through the router (one process)', () => {
  describeFilesThroughRouter(() => ({
    url: stack.url,
    rebase: (url) => url,
    blobExists: (fileId) => stack.file.blobs.exists(blobKeys.original(fileId)),
    expiredTicket: async (create) => {
      const { id } = await create();
      const token = new Capabilities(stack.signingSecret).issue('upload', id, new Date(Date.now() - 60_000));
      return { id, uploadUrl: `${new URL(stack.url).origin}/files/uploads/${token}` };
    },
    maxPending: MAX_PENDING,
  }));
});
