/**
 * File upload through the router (`pnpm bench:file-upload`): the one-process stack (router and
 * file subgraph in this process, file's blobs in a local directory), and a client in a child
 * process PUTting a file's bytes to its upload URL as a stream generated on the fly (so this
 * process's RSS is the router's and file's only, and the client's CPU is not this thread's).
 *
 *   1. memory of the router alone (first, on fresh processes): a second router, the production
 *      entry `router/src/main.ts`, runs in a child process composed from this process's subgraphs
 *      (file-upload-router.ts); upload URLs point at it, so the bytes go client process -> router
 *      process -> file in this process. Its RSS (`/proc/<pid>/status`) is sampled every 20 ms during
 *      one upload of each of MEMORY_MB, peak minus the RSS before it. The body streams, so the
 *      growth must stay flat (< 50 MB) whatever the size.
 *   2. memory of router + file in this one process, as before: the same sampling of this process
 *      during one BIG_MB upload through the one-process stack's router.
 *   3. throughput: the same SIZE_MB written (a) through the router to file's blob store and
 *      (b) straight to a local blob store of the kit, alternating, ROUNDS times; the ratio of the
 *      medians is what the two HTTP hops (router and file share this one thread), signing, the
 *      ticket, sniffing and the guard cost.
 *
 * Absolute figures depend on the machine's load; the ratio and the growth are what to compare.
 * Env: SIZE_MB (default 100), ROUNDS (3), BIG_MB (500), MEMORY_MB (`100,500`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { loadConfig } from '@chatgraph/kit';
import { createLocalBlobStore } from '@chatgraph/kit/blob';
import { camelCase, EMBEDDED_CONFIG_SPEC, startEmbedded, SUBGRAPHS } from '@chatgraph/launcher';
import { startRouterChild } from './file-upload-router';

const MB = 1024 * 1024;
const SIZE_MB = Number(process.env.SIZE_MB ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BIG_MB = Number(process.env.BIG_MB ?? 500);
const MEMORY_MB = (process.env.MEMORY_MB ?? '100,500').split(',').map(Number);
const MAX_MB = Math.max(BIG_MB, ...MEMORY_MB);
/** A PDF's magic number, so the bytes pass sniffing as `application/pdf` (never processed for real here). */
const PDF_HEAD = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
const CHUNK = Buffer.alloc(256 * 1024, 0x20);

/** `bytes` bytes starting with a PDF header, generated chunk by chunk (never held whole). */
function body(bytes: number): Readable {
  return Readable.from(
    (function* () {
      yield PDF_HEAD;
      for (let sent = PDF_HEAD.length; sent < bytes; sent += CHUNK.length) yield CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent));
    })(),
  );
}

/**
 * PUTs `bytes` bytes (a PDF header, then spaces) to `url` from a child node process, streaming;
 * resolves the child's own timing of the request and the status it got.
 */
function putFromChild(url: string, bytes: number): Promise<{ ms: number; status: number }> {
  const client = `
    const head = Buffer.from(${JSON.stringify(PDF_HEAD.toString('latin1'))}, 'latin1');
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const total = Number(process.argv[2]);
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent === 0) { controller.enqueue(new Uint8Array(head)); sent = head.length; return; }
        if (sent >= total) { controller.close(); return; }
        const n = Math.min(chunk.length, total - sent);
        controller.enqueue(new Uint8Array(chunk.subarray(0, n)));
        sent += n;
      },
    });
    const started = performance.now();
    fetch(process.argv[1], { method: 'PUT', body, duplex: 'half' })
      .then(async (res) => { await res.text(); process.stdout.write(JSON.stringify({ ms: performance.now() - started, status: res.status })); })
      .catch((error) => { console.error(error); process.exit(1); });
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', client, url, String(bytes)], { maxBuffer: 1024 * 1024 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout) as { ms: number; status: number });
    });
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const mbps = (bytes: number, ms: number): string => ((bytes / MB / ms) * 1000).toFixed(1);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-file-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    RATE_LIMITS: 'off',
    FILE_MAX_BYTES: String((MAX_MB + 10) * MB),
    FILE_QUOTA_BYTES: String(100 * 1024 * MB),
    FILE_MAX_PENDING_UPLOADS: '100',
  });
  stack.file.setPublicUrl(new URL(stack.url).origin);
  const direct = createLocalBlobStore({ dir: path.join(dataDir, 'direct') });
  await direct.start();
  try {
    const gql = async <T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> => {
      const res = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await res.json()) as { data?: T; errors?: unknown };
      if (!json.data) throw new Error(JSON.stringify(json.errors));
      return json.data;
    };
    const { register } = await gql<{ register: { accessToken: string } }>(
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
      { input: { email: 'bench@example.com', name: 'Bench', password: 'a perfectly fine passphrase' } },
    );
    const token = register.accessToken;
    const upload = async (bytes: number): Promise<{ ms: number; id: string }> => {
      const { createUpload } = await gql<{ createUpload: { file: { id: string }; uploadUrl: string } }>(
        'mutation($input: CreateUploadInput!) { createUpload(input: $input) { file { id } uploadUrl } }',
        { input: { filename: 'bench.pdf', mimeType: 'application/pdf', bytes } },
        token,
      );
      const { ms, status } = await putFromChild(createUpload.uploadUrl, bytes);
      if (status !== 201) throw new Error(`upload answered ${status}`);
      return { ms, id: createUpload.file.id };
    };
    /**
     * Waits until processing is over (it reads the stored file into memory: in this one process,
     * that must not overlap the next measurement), then deletes the file.
     */
    const remove = async (id: string): Promise<void> => {
      for (let i = 0; i < 2000; i++) {
        const { file } = await gql<{ file: { status: string } | null }>('query($id: ID!) { file(id: $id) { status } }', { id }, token);
        if (file?.status !== 'PROCESSING') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await gql('mutation($id: ID!) { deleteFile(id: $id) }', { id }, token);
    };

    // The router alone first, in its own process; upload URLs point at it meanwhile.
    const subgraphUrls = SUBGRAPHS.map(({ name }) => `${name}=${(stack[camelCase(name)] as { url: string }).url}/graphql`).join(',');
    const child = await startRouterChild(subgraphUrls, stack.identity.url, stack.signingSecret);
    stack.file.setPublicUrl(child.origin);
    try {
      // One small upload warms up what every upload shares (sockets, the sniffer's worker thread).
      await remove((await upload(MB)).id);
      for (const size of MEMORY_MB) {
        const before = child.rss();
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, child.rss())), 20);
        const done = await upload(size * MB);
        clearInterval(sampler);
        peak = Math.max(peak, child.rss());
        await remove(done.id);
        console.log(
          `upload ${size} MB through the router process alone (pid ${child.pid}; file in another process): ${done.ms.toFixed(0)} ms (${mbps(size * MB, done.ms)} MB/s); router RSS ${(before / MB).toFixed(0)} MB before, peak ${(peak / MB).toFixed(0)} MB, growth ${((peak - before) / MB).toFixed(1)} MB`,
        );
      }
    } finally {
      await child.stop();
      stack.file.setPublicUrl(new URL(stack.url).origin);
    }

    // Then router + file in this one process. One small upload warms up what every upload shares.
    await remove((await upload(MB)).id);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const big = await upload(BIG_MB * MB);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    await remove(big.id);
    console.log(
      `upload ${BIG_MB} MB through the router: ${big.ms.toFixed(0)} ms (${mbps(BIG_MB * MB, big.ms)} MB/s); process RSS ${(before / MB).toFixed(0)} MB before, peak ${(peak / MB).toFixed(0)} MB, growth ${((peak - before) / MB).toFixed(1)} MB (router and file subgraph; the client is another process)`,
    );

    const bytes = SIZE_MB * MB;
    const routed: number[] = [];
    const straight: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { ms, id } = await upload(bytes);
      routed.push(ms);
      await remove(id);
      const started = performance.now();
      await direct.put(`bench/${round}`, body(bytes), { contentType: 'application/pdf' });
      straight.push(performance.now() - started);
      await direct.delete(`bench/${round}`);
    }
    const r = median(routed);
    const s = median(straight);
    console.log(
      `upload ${SIZE_MB} MB x ${ROUNDS} (medians): through the router ${r.toFixed(0)} ms (${mbps(bytes, r)} MB/s), straight to the blob store ${s.toFixed(0)} ms (${mbps(bytes, s)} MB/s), ratio ${(r / s).toFixed(2)}`,
    );
  } finally {
    await direct.stop();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
