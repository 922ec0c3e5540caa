/**
 * The per-user limits of the byte routes, through the router of the one-process stack: uploads
 * sent at once (FILE_CONCURRENT_UPLOADS) and downloads per minute (FILE_DOWNLOADS_PER_MINUTE).
 * One user flooding is refused with RATE_LIMITED (429, Retry-After) while another is served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { filesClient, type FilesClient } from './files-client';

const MB = 1024 * 1024;
const CONCURRENT = 2;
const DOWNLOADS = 4;
/** Held uploads send this much before pausing: more than every socket buffer between client and file holds, so file is reading. */
const HOLD_AT = 48 * MB;
const HELD_SIZE = 64 * MB;

let stack: EmbeddedStack;
let dataDir: string;
let client: FilesClient;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-file-limits-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    RATE_LIMITS: 'off',
    FILE_MAX_BYTES: String(HELD_SIZE),
    FILE_CONCURRENT_UPLOADS: String(CONCURRENT),
    FILE_DOWNLOADS_PER_MINUTE: String(DOWNLOADS),
  });
  client = filesClient(stack.url);
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A PUT of `HELD_SIZE` bytes of text that stops after `HOLD_AT` until `release()`: once `holding`
 * resolves the file service is reading its body (no buffer on the way holds that much), so the
 * upload holds one of its owner's slots.
 */
function heldUpload(url: string): { holding: Promise<void>; release(): void; status: Promise<number> } {
  let holding: () => void = () => undefined;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const chunk = new Uint8Array(256 * 1024).fill(0x61);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= HELD_SIZE) return controller.close();
      if (sent >= HOLD_AT) {
        holding();
        await released;
      }
      const n = Math.min(chunk.length, HELD_SIZE - sent);
      controller.enqueue(chunk.subarray(0, n));
      sent += n;
    },
  });
  const status = fetch(url, { method: 'PUT', body, duplex: 'half', headers: { 'content-type': 'text/plain' } } as RequestInit).then(
    async (res) => {
      await res.arrayBuffer();
      return res.status;
    },
  );
  return { holding: held, release: () => release(), status };
}

describe('per-user limits on the byte routes (through the router)', () => {
  it('one user sending too many uploads at once is refused (429, ticket unspent) while another user uploads', async () => {
    const flood = await client.register('Flood');
    const other = await client.register('Other');
    const held = [];
    for (let i = 0; i < CONCURRENT; i++) {
      const { uploadUrl } = await client.ticket(flood.token, `big-${i}.txt`, 'text/plain', HELD_SIZE);
      held.push(heldUpload(uploadUrl));
    }
    await Promise.all(held.map((h) => h.holding));

    const text = Buffer.from('one more file\n');
    const extra = await client.ticket(flood.token, 'extra.txt', 'text/plain', text.length);
    const refused = await fetch(extra.uploadUrl, { method: 'PUT', body: text, headers: { 'content-type': 'text/plain' } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: { code: 'RATE_LIMITED', limit: 'uploadsPerUser', max: CONCURRENT } });

    // Another user is served meanwhile.
    expect(await client.uploadReady(other.token, 'mine.txt', 'text/plain', Buffer.from('not flooding\n'))).toEqual(expect.any(String));

    for (const h of held) h.release();
    expect(await Promise.all(held.map((h) => h.status))).toEqual(held.map(() => 201));
    // The refused upload spent nothing: its URL still works once the user's uploads are done.
    const again = await fetch(extra.uploadUrl, { method: 'PUT', body: text, headers: { 'content-type': 'text/plain' } });
    expect(again.status).toBe(201);
  });

  it('one user downloading too often is refused (429, Retry-After) while another user downloads', async () => {
    const flood = await client.register('Reader');
    const other = await client.register('Calm');
    const mine = await client.uploadReady(flood.token, 'a.txt', 'text/plain', Buffer.from('flooded file\n'));
    const theirs = await client.uploadReady(other.token, 'b.txt', 'text/plain', Buffer.from('calm file\n'));
    const link = await client.downloadUrl(flood.token, mine);

    const statuses = await Promise.all(Array.from({ length: DOWNLOADS }, () => fetch(link).then((res) => res.status)));
    expect(statuses).toEqual(Array.from({ length: DOWNLOADS }, () => 200));
    const refused = await fetch(link);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: { code: 'RATE_LIMITED', limit: 'downloadsPerMinute', max: DOWNLOADS } });
    // A fresh link is the same user's budget.
    expect((await fetch(await client.downloadUrl(flood.token, mine))).status).toBe(429);

    const calm = await fetch(await client.downloadUrl(other.token, theirs));
    expect(calm.status).toBe(200);
    expect(await calm.text()).toBe('calm file\n');
  });
});
