/**
 * Another user's time to first token while one user floods (issue 10). The embedded stack runs in
 * its own process (`pnpm start`'s launcher, default settings, the built-in demo model). User A
 * floods `sendMessage` from `FLOOD_CLIENTS` concurrent clients (default 50), each request starting
 * a new conversation, for `FLOOD_SECONDS` (default 5) before B starts and on until B is done.
 * Then user B sends `B_TURNS` messages (default 3), each once the previous answer is done, each
 * timed from sending `sendMessage` to the first token on `messageStream` (graphql-ws through the router), given up
 * after `B_WAIT_SECONDS` (default 60). Printed: A's requests accepted and refused (by code and
 * why: banned, the policy, the admission reason), the stack's CPU per A request while flooding
 * (from /proc), then B's times (the first one includes opening B's socket under the flood). Figures include the load generator, which shares the machine.
 *
 *   pnpm bench:fairness
 *   FLOOD_CLIENTS=50 FLOOD_SECONDS=5 B_TURNS=3 pnpm bench:fairness
 */
import { readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { spawnEmbedded } from './support/spawnStack';

const FLOOD_CLIENTS = Number(process.env.FLOOD_CLIENTS ?? 50);
const FLOOD_SECONDS = Number(process.env.FLOOD_SECONDS ?? 5);
const B_TURNS = Number(process.env.B_TURNS ?? 3);
const B_WAIT_SECONDS = Number(process.env.B_WAIT_SECONDS ?? 60);

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; banned?: boolean; policy?: string; reason?: string } }>;
}

/** A refusal's code and why: `RATE_LIMITED/banned`, `RATE_LIMITED/messages` (the policy), `RATE_LIMITED/TOO_MANY_OPEN_GENERATIONS`. */
function outcomeOf(res: Response<unknown>): string {
  if (res.data) return 'accepted';
  const ext = res.errors?.[0]?.extensions;
  const why = ext?.banned ? 'banned' : (ext?.policy ?? ext?.reason);
  return `${ext?.code ?? 'error'}${why ? `/${why}` : ''}`;
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Sent {
  conversation: { id: string };
  streamId: string;
}

const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { conversation { id } streamId } }';
const STREAM = 'subscription($streamId: ID!) { messageStream(streamId: $streamId) { seq delta done } }';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function gql<T>(url: string, token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Response<T>;
}

async function register(url: string, email: string): Promise<string> {
  const res = await gql<{ register: { accessToken: string } }>(
    url,
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    {
      input: { email, name: email.split('@')[0], password: 'a perfectly fine passphrase' },
    },
  );
  const token = res.data?.register.accessToken;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return token;
}

/**
 * Follows the stream to its end and returns when its first non-empty token arrived
 * (`performance.now()`), or undefined if none came before `deadline`; resubscribes if the stream
 * ends before its first token (not started yet). Waiting for the end matters: B sends its next
 * message once the answer is done, as a chat client does, so a turn never waits for B's own
 * earlier answers (MAX_RUNNING_GENERATIONS_PER_USER), only for the flood.
 */
async function answer(client: Client, streamId: string, deadline: number): Promise<number | undefined> {
  let firstAt: number | undefined;
  while (Date.now() < deadline) {
    const ended = await new Promise<'done' | 'ended'>((resolve) => {
      const unsubscribe = client.subscribe<{ messageStream: { delta: string; done: boolean } }>(
        { query: STREAM, variables: { streamId } },
        {
          next: (result) => {
            const chunk = result.data?.messageStream;
            if (chunk && firstAt === undefined && (chunk.delta.length > 0 || chunk.done)) firstAt = performance.now();
            if (chunk?.done) {
              unsubscribe();
              resolve('done');
            }
          },
          error: () => resolve('ended'),
          complete: () => resolve(firstAt === undefined ? 'ended' : 'done'),
        },
      );
      setTimeout(
        () => {
          unsubscribe();
          resolve('ended');
        },
        Math.max(0, deadline - Date.now()),
      ).unref();
    });
    if (ended === 'done' || firstAt !== undefined) return firstAt;
    await sleep(100);
  }
  return firstAt;
}

async function main(): Promise<void> {
  // Register quickly (the figure is about generations, not password hashing).
  process.env.ARGON2_MEMORY_KIB ??= '4096';
  process.env.ARGON2_TIME_COST ??= '1';
  const stack = await spawnEmbedded();
  const url = `${stack.url}`;
  console.log(
    `fairness: user A floods sendMessage with ${FLOOD_CLIENTS} clients (${FLOOD_SECONDS} s before B, and on while B runs); B sends ${B_TURNS} messages; Node ${process.version}`,
  );
  try {
    const run = Date.now();
    const ada = await register(url, `flood-${run}@example.com`);
    const bob = await register(url, `bob-${run}@example.com`);
    const outcomes = new Map<string, number>();
    const stackPid = Object.values(stack.pids)[0] ?? 0;
    const cpuAtStart = cpuMs(stackPid);
    const benchCpuAtStart = process.cpuUsage();
    const floodStart = performance.now();
    let flooding = true;
    const flood = Array.from({ length: FLOOD_CLIENTS }, async (_, c) => {
      for (let i = 0; flooding; i++) {
        const res = await gql<{ sendMessage: Sent }>(url, ada, SEND, { input: { content: `flood ${c}-${i}: tell me everything` } }).catch(
          () => ({ errors: [{ message: 'network', extensions: { code: 'NETWORK' } }] }) as Response<{ sendMessage: Sent }>,
        );
        const code = outcomeOf(res);
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      }
    });
    await sleep(FLOOD_SECONDS * 1000);
    const before = new Map(outcomes);

    let connectedAt = 0;
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${bob}` },
      retryAttempts: 0,
      lazy: true,
      on: { connected: () => (connectedAt = performance.now()) },
    });
    const times: string[] = [];
    for (let turn = 0; turn < B_TURNS; turn++) {
      const started = performance.now();
      const sent = await gql<{ sendMessage: Sent }>(url, bob, SEND, {
        input: { content: `B's question ${turn}: what is fair scheduling?` },
      });
      const streamId = sent.data?.sendMessage.streamId;
      if (!streamId) {
        times.push(`refused ${sent.errors?.[0]?.extensions?.code ?? 'error'}`);
        continue;
      }
      const accepted = performance.now() - started;
      const firstAt = await answer(client, streamId, Date.now() + B_WAIT_SECONDS * 1000);
      // The first turn also opens B's socket (connect + authenticated connection_init) under the flood.
      const socket = turn === 0 && connectedAt > 0 ? `, socket ready after ${(connectedAt - started).toFixed(0)} ms` : '';
      times.push(
        firstAt !== undefined
          ? `${(firstAt - started).toFixed(0)} ms (sendMessage answered after ${accepted.toFixed(0)} ms${socket})`
          : `no token within ${B_WAIT_SECONDS} s`,
      );
    }
    flooding = false;
    await Promise.all(flood);
    const floodMs = performance.now() - floodStart;
    const cpu = cpuMs(stackPid) - cpuAtStart;
    const benchCpu = process.cpuUsage(benchCpuAtStart);
    const requests = [...outcomes.values()].reduce((sum, n) => sum + n, 0);
    await client.dispose();
    const line = (m: Map<string, number>): string => [...m].map(([code, n]) => `${code} ${n}`).join(', ');
    console.log(`  A in the first ${FLOOD_SECONDS} s: ${line(before)}`);
    console.log(`  A in all:           ${line(outcomes)}`);
    console.log(
      `  stack CPU while flooding: ${cpu} ms in ${floodMs.toFixed(0)} ms (${((cpu / floodMs) * 100).toFixed(0)}% of one core), ${((cpu * 1000) / Math.max(1, requests)).toFixed(0)} µs per A request, ${(requests / (floodMs / 1000)).toFixed(0)} A requests/s; the load generator ${((benchCpu.user + benchCpu.system) / 1000).toFixed(0)} ms`,
    );
    console.log(`  B sendMessage -> first token: ${times.join(', ')}`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
