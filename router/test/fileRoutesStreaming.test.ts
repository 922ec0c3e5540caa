import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@chatgraph/kit';
import { FileRoutes } from '../src/files/fileRoutes';

const SECRET = 'file-routes-test-secret-0123456789abcd';
const MB = 1024 * 1024;

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; base: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * PUTs `bytes` bytes to `url` from a child process (its buffers are not this process's), one reused
 * chunk written under backpressure; the child prints `sent <n>` every MiB it hands to its socket and
 * the status at the end.
 */
function putFromChild(url: string, bytes: number, onSent: (sent: number) => void): Promise<number> {
  const client = `
    const http = require('node:http');
    const total = Number(process.argv[2]);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const req = http.request(process.argv[1], { method: 'PUT', headers: { 'content-length': total } }, (res) => {
      res.resume();
      res.on('end', () => process.stdout.write('status ' + res.statusCode + '\\n'));
    });
    req.on('error', (e) => { console.error(e); process.exit(1); });
    let sent = 0;
    const write = () => {
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (sent % ${MB} === 0 || sent === total) process.stdout.write('sent ' + sent + '\\n');
        if (!req.write(chunk.subarray(0, n))) { req.once('drain', write); return; }
      }
      req.end();
    };
    write();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', client, url, String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let status = 0;
    let rest = '';
    child.stdout.on('data', (data: Buffer) => {
      const lines = (rest + data.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const [word, value] = line.split(' ');
        if (word === 'sent') onSent(Number(value));
        if (word === 'status') status = Number(value);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(status) : reject(new Error(`client exited with ${code}`))));
  });
}

describe('the router’s file byte routes stream an upload', () => {
  let upstream: { server: Server; base: string };
  let front: { server: Server; base: string };
  /** What the upstream (playing file) does with each body. */
  let onUpload: (req: IncomingMessage, res: ServerResponse) => void;

  beforeAll(async () => {
    upstream = await listen((req, res) => onUpload(req, res));
    const routes = new FileRoutes({
      signingSecret: SECRET,
      logger: createLogger({ name: 'test', level: 'silent' }),
      fileBase: () => upstream.base,
    });
    front = await listen((req, res) => {
      if (!routes.handle(req, res)) {
        res.writeHead(404);
        res.end();
      }
    });
  });

  afterAll(async () => {
    for (const { server } of [front, upstream]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads the client no faster than file consumes: a stalled upstream stalls the client within socket buffers', async () => {
    const total = 256 * MB;
    const stallAt = 4 * MB;
    let consumed = 0;
    let stalled: () => void = () => undefined;
    const stalledNow = new Promise<void>((resolve) => (stalled = resolve));
    let resume: () => void = () => undefined;
    onUpload = (req, res) => {
      req.on('data', (chunk: Buffer) => {
        consumed += chunk.length;
        if (consumed >= stallAt && !req.isPaused() && consumed - chunk.length < stallAt) {
          // Stop reading until the test says so: from here on only buffers between client and file may fill.
          req.pause();
          resume = () => req.resume();
          stalled();
        }
      });
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ consumed }));
      });
    };
    let sent = 0;
    const sentSamples: number[] = [];
    const done = putFromChild(`${front.base}/files/uploads/slow`, total, (n) => (sent = n));
    await stalledNow;
    // The client keeps sending until every buffer between it and the paused upstream is full, then
    // stops: wait until its count has not moved over 10 successive looks.
    while (sentSamples.length < 10 || sentSamples.some((s) => s !== sent)) {
      sentSamples.push(sent);
      if (sentSamples.length > 10) sentSamples.shift();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const consumedWhileStalled = consumed;
    // Kernel socket buffers (two connections, both ways) and the streams' high-water marks: a few
    // MiB; without backpressure the router would have read the whole 256 MiB by now.
    expect(sent - consumedWhileStalled).toBeLessThan(32 * MB);
    expect(sent).toBeLessThan(total);
    resume();
    expect(await done).toBe(201);
    expect(consumed).toBe(total);
  });

  it('keeps the dead read buffers of a relayed body bounded (young-generation collections as bytes pass)', async () => {
    const total = 256 * MB;
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    let consumed = 0;
    onUpload = (req, res) => {
      req.on('data', (chunk: Buffer) => {
        consumed += chunk.length;
        // Sampled as the bytes arrive (not on a timer): one look per ~MiB relayed.
        if (consumed % MB < chunk.length) peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      });
      req.on('end', () => {
        res.writeHead(201);
        res.end();
      });
    };
    expect(await putFromChild(`${front.base}/files/uploads/big`, total, () => undefined)).toBe(201);
    expect(consumed).toBe(total);
    // V8 alone lets ~64 MB of dead 64 KiB read buffers pile up (both the router's and, here, the
    // upstream's reads are this process's) before it collects them.
    expect(peak - baseline).toBeLessThan(32 * MB);
  });
});
