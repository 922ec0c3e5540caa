/**
 * Inputs that must not hurt the router (issue 10, section 3), against a router and identity each
 * in their own process (the router's own figures, from /proc, Linux only):
 *  1. 1,000 graphql-ws sockets from one token: how many are acknowledged or refused (close
 *     codes) and the router's RSS with them open;
 *  2. a 1 MiB `{ a a a … }` and a 5,000-deep document: router CPU per request, status and code
 *     (over HTTP and, for the deep one, over graphql-ws);
 *  3. 20,000 distinct operation names: `/metrics` size, router RSS, how long a scrape takes and
 *     the worst latency of a trivial request sent during it (what a scrape stalls).
 *
 *   pnpm bench:abuse-inputs   # ABUSE_OPERATIONS=20000 ABUSE_SOCKETS=1000 ABUSE_REPEAT=5
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { graphql, spawnDistributed, type BenchStack } from './support/spawnStack';

const OPERATIONS = Number(process.env.ABUSE_OPERATIONS ?? 20_000);
const SOCKETS = Number(process.env.ABUSE_SOCKETS ?? 1000);
const REPEAT = Number(process.env.ABUSE_REPEAT ?? 5);

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, text: await res.text() };
}

/** The first error's code and message of a response body, shortened. */
function firstError(text: string): string {
  try {
    const error = (JSON.parse(text) as { errors?: Array<{ message: string; extensions?: { code?: string } }> }).errors?.[0];
    return error ? `${error.extensions?.code ?? '-'}: ${error.message.slice(0, 80)}` : 'no error';
  } catch {
    return text.slice(0, 80);
  }
}

async function operationNames(stack: BenchStack, pid: number): Promise<void> {
  const base = stack.url.replace(/\/graphql$/, '');
  const rssBefore = rssMb(pid);
  const sizeBefore = (await (await fetch(`${base}/metrics`)).text()).length;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < OPERATIONS) {
      const i = next++;
      await post(stack.url, JSON.stringify({ query: `query Op${i} { __typename }` }));
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  // Five scrapes: the first one after the flood, then the steady state (each one's time is printed:
  // on a shared machine one figure alone says little).
  let size = 0;
  const scrapes: number[] = [];
  const stalls: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    const scrape = fetch(`${base}/metrics`).then(async (res) => {
      size = (await res.text()).length;
      scrapes.push(performance.now() - started);
    });
    // Trivial requests every 5 ms while the scrape runs: their worst latency is what the scrape stalls.
    const pings: Array<Promise<void>> = [];
    let worst = 0;
    let scraping = true;
    void scrape.finally(() => (scraping = false));
    while (scraping) {
      const sent = performance.now();
      pings.push(post(stack.url, '{"query":"{ __typename }"}').then(() => void (worst = Math.max(worst, performance.now() - sent))));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all([scrape, ...pings]);
    stalls.push(worst);
  }
  console.log(`\n3. ${OPERATIONS} distinct operation names`);
  console.log(`   /metrics size: ${fmt(sizeBefore / 1024)} KB before -> ${fmt(size / 1024)} KB after`);
  console.log(`   router RSS: ${fmt(rssBefore)} MB before -> ${fmt(rssMb(pid))} MB after`);
  console.log(`   scrape times (5 in a row): ${scrapes.map((ms) => fmt(ms)).join(', ')} ms`);
  console.log(`   worst latency of a request sent during each scrape: ${stalls.map((ms) => fmt(ms)).join(', ')} ms`);
}

async function costlyDocuments(stack: BenchStack, pid: number): Promise<void> {
  console.log(`\n2. costly documents (router CPU per request, mean of ${REPEAT})`);
  const wide = `{ ${'a '.repeat(Math.floor((1024 * 1024 - 64) / 2))}}`;
  // 5,000 levels of selection sets, balanced: `{ a { a { … b } } }`.
  const deep = `{ ${'a { '.repeat(5000)}b${' }'.repeat(5000)} }`;
  for (const [name, query] of [
    [`1 MiB { a a a … } (${wide.length} chars)`, wide],
    ['5,000-deep document', deep],
  ] as const) {
    const body = JSON.stringify({ query });
    let last = { status: 0, text: '' };
    const cpuBefore = cpuMs(pid);
    const started = performance.now();
    for (let i = 0; i < REPEAT; i++) last = await post(stack.url, body);
    const wall = (performance.now() - started) / REPEAT;
    const cpu = (cpuMs(pid) - cpuBefore) / REPEAT;
    console.log(`   ${name}: router CPU ${fmt(cpu)} ms, wall ${fmt(wall)} ms, HTTP ${last.status} ${firstError(last.text)}`);
  }
  console.log(`   5,000-deep over graphql-ws: ${await overSocket(stack, deep)}`);
}

/** Subscribes to `query` on a fresh anonymous socket; what the router answered. */
function overSocket(stack: BenchStack, query: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(stack.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    ws.on('message', (raw: Buffer) => {
      const message = JSON.parse(raw.toString()) as { type: string; payload?: unknown };
      if (message.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      else if (message.type === 'error' || message.type === 'next') {
        const errors = (message.type === 'error' ? message.payload : (message.payload as { errors?: unknown }).errors) as
          Array<{ message: string; extensions?: { code?: string } }> | undefined;
        resolve(`${message.type}: ${errors?.[0]?.extensions?.code ?? '-'}: ${errors?.[0]?.message.slice(0, 80) ?? ''}`);
        ws.close();
      }
    });
    ws.on('close', (code, reason) => resolve(`closed ${code} ${reason.toString()}`));
    ws.on('error', (err) => resolve(`socket error ${err.message}`));
  });
}

async function manySockets(stack: BenchStack, pid: number, token: string): Promise<void> {
  const rssBefore = rssMb(pid);
  const sockets: WebSocket[] = [];
  const outcomes = new Map<string, number>();
  const open = (): Promise<void> =>
    new Promise((resolve) => {
      const ws = new WebSocket(stack.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      sockets.push(ws);
      const done = (outcome: string): void => {
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        resolve();
      };
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      ws.on('message', (raw: Buffer) => {
        if ((JSON.parse(raw.toString()) as { type: string }).type === 'connection_ack') done('acknowledged');
      });
      ws.on('close', (code) => done(`closed ${code}`));
      ws.on('error', () => done('socket error'));
    });
  for (let i = 0; i < SOCKETS; i += 50) await Promise.all(Array.from({ length: Math.min(50, SOCKETS - i) }, open));
  await new Promise((r) => setTimeout(r, 500));
  const rssOpen = rssMb(pid);
  console.log(`\n1. ${SOCKETS} graphql-ws sockets from one token`);
  console.log(`   outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`   router RSS: ${fmt(rssBefore)} MB before -> ${fmt(rssOpen)} MB with them open (+${fmt(rssOpen - rssBefore)} MB)`);
  for (const ws of sockets) ws.terminate();
}

async function main(): Promise<void> {
  const stack = await spawnDistributed();
  try {
    const pid = stack.pids.router ?? 0;
    const email = `abuse-${Date.now()}@example.com`;
    const password = 'benchmark password 1';
    await graphql(stack.url, 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', {
      i: { email, password, name: 'Bench' },
    });
    const { login } = await graphql<{ login: { accessToken: string } }>(
      stack.url,
      'mutation($i: LoginInput!) { login(input: $i) { accessToken } }',
      { i: { email, password } },
    );
    console.log(`router pid ${pid}, RSS at start ${fmt(rssMb(pid))} MB`);
    // Sockets first, while the router's RSS is not yet inflated by the other two.
    await manySockets(stack, pid, login.accessToken);
    await costlyDocuments(stack, pid);
    await operationNames(stack, pid);
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
