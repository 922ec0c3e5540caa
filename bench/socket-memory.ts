/**
 * What an attacker can still cost with many graphql-ws sockets and subscriptions (issue 10,
 * section 3: one token opened 1,000 sockets and 20,000 subscriptions, RSS 404 MB -> 1.7 GB, `me`
 * p100 4.8 s, before the caps). The one-process stack (`pnpm start`: router and every subgraph,
 * demo model) runs as a child process; the attacker uses `ATTACK_IPS` source addresses
 * (127.0.0.2, 127.0.0.3, … : Linux routes all of 127/8 to loopback), `USERS_PER_IP` accounts per
 * address, `SOCKETS_PER_USER` sockets per account and `SUBS_PER_SOCKET` `messageStream`
 * subscriptions per socket, each on the account's own long-running answer (a live stream, as a
 * real attack would follow). Defaults: 10 x 5 x 20 sockets (1,000) with 20 subscriptions each
 * (20,000 asked), which the per-IP and per-user caps bound. Printed: what was accepted and
 * refused (close codes, error codes), the stack's RSS before and while it holds them, and the
 * latency of `{ me { id } }` from a bystander before and during.
 *
 *   pnpm bench:socket-memory   # ATTACK_IPS=10 USERS_PER_IP=5 SOCKETS_PER_USER=20 SUBS_PER_SOCKET=20
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const IPS = Number(process.env.ATTACK_IPS ?? 10);
const USERS_PER_IP = Number(process.env.USERS_PER_IP ?? 5);
const SOCKETS_PER_USER = Number(process.env.SOCKETS_PER_USER ?? 20);
const SUBS_PER_SOCKET = Number(process.env.SUBS_PER_SOCKET ?? 20);
const root = path.join(__dirname, '..');

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function gql<T>(url: string, token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function register(url: string, n: number): Promise<string> {
  const data = await gql<{ register: { accessToken: string } }>(
    url,
    undefined,
    'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }',
    {
      i: { email: `attacker-${n}-${Date.now()}@example.com`, name: `Attacker ${n}`, password: 'a perfectly fine passphrase' },
    },
  );
  return data.register.accessToken;
}

/** `{ me { id } }` `rounds` times one after the other: median and worst, in ms. */
async function meLatency(url: string, token: string, rounds = 20): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await gql(url, token, '{ me { id } }');
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return `median ${(times[Math.floor(rounds / 2)] ?? 0).toFixed(1)} ms, max ${(times.at(-1) ?? 0).toFixed(1)} ms`;
}

const count = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);

/** One attacker socket from `localAddress`: connection_init, then `SUBS_PER_SOCKET` subscriptions once acknowledged. */
function attackSocket(
  url: string,
  localAddress: string,
  token: string,
  streamId: string,
  sockets: WebSocket[],
  outcomes: Map<string, number>,
  subs: Map<string, number>,
): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { localAddress });
    sockets.push(ws);
    let settled = false;
    const done = (outcome: string): void => {
      if (settled) return;
      settled = true;
      count(outcomes, outcome);
      // Give the subscriptions a moment to be answered (first chunk or refusal).
      setTimeout(resolve, 300);
    };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    const answered = new Set<string>();
    ws.on('message', (raw: Buffer) => {
      const message = JSON.parse(raw.toString()) as { type: string; id?: string; payload?: Array<{ extensions?: { code?: string } }> };
      if (message.type === 'connection_ack') {
        for (let i = 0; i < SUBS_PER_SOCKET; i++) {
          ws.send(
            JSON.stringify({
              id: String(i),
              type: 'subscribe',
              payload: { query: 'subscription($s: ID!) { messageStream(streamId: $s) { seq delta } }', variables: { s: streamId } },
            }),
          );
        }
        done('acknowledged');
      } else if (message.id !== undefined && !answered.has(message.id)) {
        answered.add(message.id);
        count(
          subs,
          message.type === 'next' ? 'streaming' : message.type === 'error' ? String(message.payload?.[0]?.extensions?.code) : message.type,
        );
      }
    });
    ws.on('close', (code) => done(`closed ${code}`));
    ws.on('error', () => done('socket error'));
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-sockets-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'launcher/src/embedded/main.ts')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    // Answers that last (a token every 2 s): the subscriptions follow live streams throughout.
    env: {
      ...process.env,
      ROUTER_PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      DEMO_TOKEN_INTERVAL_MS: '2000',
      ARGON2_MEMORY_KIB: '4096',
      ARGON2_TIME_COST: '1',
    },
  });
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error('the stack exited');
      if (
        await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 600) throw new Error('the stack did not get ready');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const pid = child.pid ?? 0;
    const bystander = await register(url, -1);
    const users: Array<{ token: string; streamId: string; ip: string }> = [];
    for (let n = 0; n < IPS * USERS_PER_IP; n++) {
      const token = await register(url, n);
      const sent = await gql<{ sendMessage: { streamId: string } }>(
        url,
        token,
        'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }',
        { i: { content: 'Please write a very long essay about resilient systems' } },
      );
      users.push({ token, streamId: sent.sendMessage.streamId, ip: `127.0.0.${2 + Math.floor(n / USERS_PER_IP)}` });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rssBefore = rssMb(pid);
    const meBefore = await meLatency(url, bystander);
    const outcomes = new Map<string, number>();
    const subs = new Map<string, number>();
    const started = performance.now();
    // One address at a time, its users' sockets at once.
    for (let ip = 0; ip < IPS; ip++) {
      const mine = users.slice(ip * USERS_PER_IP, (ip + 1) * USERS_PER_IP);
      await Promise.all(
        mine.flatMap((user) =>
          Array.from({ length: SOCKETS_PER_USER }, () => attackSocket(url, user.ip, user.token, user.streamId, sockets, outcomes, subs)),
        ),
      );
    }
    const openedS = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const rssHeld = rssMb(pid);
    const meDuring = await meLatency(url, bystander);
    console.log(
      `socket memory: ${IPS} source addresses x ${USERS_PER_IP} users x ${SOCKETS_PER_USER} sockets x ${SUBS_PER_SOCKET} subscriptions asked (${IPS * USERS_PER_IP * SOCKETS_PER_USER} sockets, ${IPS * USERS_PER_IP * SOCKETS_PER_USER * SUBS_PER_SOCKET} subscriptions), one-process stack, Node ${process.version}`,
    );
    console.log(`  sockets:        ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}   (opened in ${openedS.toFixed(1)} s)`);
    const asked = IPS * USERS_PER_IP * SOCKETS_PER_USER * SUBS_PER_SOCKET;
    const refused = [...subs].filter(([k]) => k !== 'streaming' && k !== 'complete').reduce((sum, [, v]) => sum + v, 0);
    console.log(
      `  subscriptions:  held ${asked - refused} (a first chunk already for ${subs.get('streaming') ?? 0}); refused ${
        [...subs]
          .filter(([k]) => k !== 'streaming' && k !== 'complete')
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }`,
    );
    console.log(
      `  stack RSS:      ${rssBefore.toFixed(0)} MB before -> ${rssHeld.toFixed(0)} MB while held (+${(rssHeld - rssBefore).toFixed(0)} MB)`,
    );
    console.log(`  bystander me:   before ${meBefore}; while held ${meDuring}`);
  } finally {
    for (const ws of sockets) ws.terminate();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
