/**
 * notificationReceived through the router (issue 18's figures, end to end): the one-process stack
 * (router and every subgraph, embedded adapters) runs as a child process; `NOTIFY_USERS` users
 * registered through the router each open one graphql-ws `notificationReceived` subscription on
 * it (their own socket, a real access token); then `NOTIFY_EVENTS` answers complete
 * (`generation.completed` published on the stack's bus by the child, spread over the users, the
 * publish time in the answer's text, which the notification carries as `body`). Printed: the time
 * from the event's publish to its notification reaching the client (p50, p99, max; one machine,
 * one clock), notifications delivered per second, the stack process's RSS per open subscription
 * (router + notification + the rest of the stack in one process: the router's share is most of
 * it, as the subgraph holds one subscription per user too), and the load average, since the
 * machine may be shared.
 *
 * The answers' outcomes go the way of every answer: streaming turns each into `stream.ended`
 * (nobody watches these streams: `watched: false`), which notification turns into the notification.
 *
 * The fan-out limit: with `NOTIFY_STEPS` (e.g. `1000,2000,4000`) the same stack steps through
 * those numbers of connected users (more users registered and subscribed at each step, the
 * earlier ones staying connected), `NOTIFY_EVENTS` answers per step (default 2,000) spread over
 * all connected users, and prints one line per step, then the largest step whose p99 stays within
 * `NOTIFY_P99_BOUND_MS` (default 250 ms) with every notification delivered.
 *
 * The per-IP socket and subscription caps are raised in the child (every client comes from
 * 127.0.0.1); rate limits are off; the per-user caps stay as configured.
 *
 *   pnpm bench:notification-router   # NOTIFY_USERS=1000 NOTIFY_EVENTS=2000
 *   NOTIFY_STEPS=1000,2000,4000 pnpm bench:notification-router
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface, type Interface } from 'node:readline';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig, newId } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';
import { aiGenerationV1 } from '@chatgraph/schema';

/** Connected users at each step; without NOTIFY_STEPS one step of NOTIFY_USERS. */
const STEPS = (process.env.NOTIFY_STEPS ?? process.env.NOTIFY_USERS ?? '1000')
  .split(',')
  .map((step) => Number(step.trim()))
  .filter((step) => Number.isInteger(step) && step > 0)
  .sort((a, b) => a - b);
const USERS = STEPS.at(-1) ?? 1000;
/** Answers per step. */
const EVENTS = Number(process.env.NOTIFY_EVENTS ?? (process.env.NOTIFY_STEPS ? 2000 : 2 * USERS));
/** The p99 a step must stay within (publish -> client) to count as served. */
const P99_BOUND_MS = Number(process.env.NOTIFY_P99_BOUND_MS ?? 250);
/** Owners per publish command: the child publishes them one after another. */
const BATCH = 100;
/** Registrations in flight at once. */
const REGISTER_CONCURRENCY = 8;

/** Epoch milliseconds with sub-millisecond resolution, comparable between the two processes. */
const epochMs = (): number => performance.timeOrigin + performance.now();
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

/** Child role: runs the stack; on stdin `{ "owners": [...] }` publishes one completed answer each, `{ "feeds": true }` answers the open subscriptions. */
async function runStack(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-notify-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const stack = await startEmbedded(config, {
    ...process.env,
    LOG_LEVEL: 'warn',
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    RATE_LIMITS: 'off',
    SUBSCRIPTION_SOCKETS_PER_IP: String(USERS * 2 + 100),
    SUBSCRIPTIONS_PER_IP: String(USERS * 2 + 100),
  });
  const reply = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
  reply({ url: stack.url });
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    void (async () => {
      const command = JSON.parse(line) as { owners?: string[]; feeds?: boolean };
      if (command.feeds) return reply({ feeds: stack.notification.feeds.size });
      for (const ownerId of command.owners ?? []) {
        const subject = { conversationId: newId(), messageId: newId(), streamId: newId(), ownerId };
        const event = aiGenerationV1.create('generation.completed', subject, {
          content: String(epochMs()),
          finishReason: 'stop',
          model: 'local-demo',
          usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
        });
        await stack.bus.publish(aiGenerationV1.topic, [{ key: subject.conversationId, event }]);
      }
      reply({ published: command.owners?.length ?? 0 });
    })();
  });
  process.on('SIGTERM', () => {
    void stack.stop().then(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

/** One request/answer over the child's stdin/stdout (commands are sent one at a time). */
function ask(child: ChildProcess, lines: Interface, command: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as Record<string, unknown>));
    child.stdin?.write(`${JSON.stringify(command)}\n`);
  });
}

async function register(url: string, i: number): Promise<{ token: string; userId: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
      variables: { input: { email: `bench-${i}@example.com`, name: `Bench ${i}`, password: 'a perfectly fine passphrase' } },
    }),
  });
  const body = (await res.json()) as { data?: { register: { accessToken: string; user: { id: string } } }; errors?: unknown };
  if (!body.data) throw new Error(`register failed: ${JSON.stringify(body.errors)}`);
  return { token: body.data.register.accessToken, userId: body.data.register.user.id };
}

/** Subscriptions opened at once before waiting for them to be open. */
const OPEN_BATCH = 250;
/** How long the open subscriptions may stop growing before the step is given up. */
const STALL_MS = 30_000;

/** Waits until `count` subscriptions are open on the notification subgraph (through the router); false when that stalls. */
async function subscribed(child: ChildProcess, lines: Interface, count: number): Promise<boolean> {
  let last = -1;
  let since = performance.now();
  for (;;) {
    const feeds = Number((await ask(child, lines, { feeds: true })).feeds);
    if (feeds >= count) return true;
    if (feeds !== last) [last, since] = [feeds, performance.now()];
    else if (performance.now() - since > STALL_MS) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What one step measured. */
interface StepResult {
  users: number;
  received: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
  kibPerSubscription: number;
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--stack'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NOTIFY_USERS: String(USERS) },
  });
  const lines = createInterface({ input: child.stdout! });
  const { url } = await new Promise<{ url: string }>((resolve) =>
    lines.once('line', (line) => resolve(JSON.parse(line) as { url: string })),
  );
  const pid = child.pid ?? 0;
  /** The stack's RSS once the first users are registered, before any subscription (as before steps existed). */
  let rssBefore = NaN;

  const users: Array<{ token: string; userId: string }> = [];
  const clients: Client[] = [];
  const errors: unknown[] = [];
  /** The step being measured: each notification received counts in it. */
  let step = { latencies: [] as number[], received: 0, lastAt: 0, expected: 0, done: (): void => undefined };
  const results: StepResult[] = [];
  const [load1] = loadavg();

  for (const target of STEPS) {
    for (let i = users.length; i < target; i += REGISTER_CONCURRENCY)
      users.push(
        ...(await Promise.all(Array.from({ length: Math.min(REGISTER_CONCURRENCY, target - i) }, (_, k) => register(url, i + k)))),
      );
    if (clients.length === 0) rssBefore = rssMb(pid);
    let opened = true;
    for (const { token } of users.slice(clients.length)) {
      const client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe<{ notificationReceived: { id: string; body: string } }>(
        { query: 'subscription { notificationReceived { id kind body } }' },
        {
          next: (result) => {
            if (result.errors) errors.push(...result.errors);
            const body = result.data?.notificationReceived.body;
            if (body === undefined) return;
            step.lastAt = epochMs();
            step.latencies.push(step.lastAt - Number(body));
            step.received += 1;
            if (step.received === step.expected) step.done();
          },
          error: (error) => errors.push(error),
          complete: () => undefined,
        },
      );
      // Opened a batch at a time: thousands of handshakes at once on a loaded machine would miss
      // graphql-ws's connection_init deadline, which measures the bench rather than the stack.
      if (clients.length % OPEN_BATCH === 0 || clients.length === target) opened = await subscribed(child, lines, clients.length);
      if (!opened) break;
    }
    if (!opened) {
      const { feeds } = await ask(child, lines, { feeds: true });
      console.log(
        `${target} users: only ${String(feeds)} of ${clients.length} subscriptions opened (no progress for ${STALL_MS / 1000} s); errors ${errors.length}`,
      );
      if (errors.length > 0) console.log(`  first error: ${JSON.stringify(errors[0])}`);
      results.push({ users: target, received: 0, p50: NaN, p99: NaN, max: NaN, perSecond: 0, kibPerSubscription: NaN });
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500)); // let the RSS settle
    const rssOpen = rssMb(pid);

    const allReceived = new Promise<void>((resolve) => {
      step = { latencies: [], received: 0, lastAt: 0, expected: EVENTS, done: resolve };
    });
    const started = epochMs();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const owners = Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, k) => users[(i + k) % target]?.userId ?? '');
      await ask(child, lines, { owners });
    }
    // At most two minutes for the rest (a lost notification would otherwise wait forever).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 120_000);
    });
    await Promise.race([allReceived, timeout]);
    clearTimeout(timer);
    const elapsed = step.lastAt - started;
    const latencies = [...step.latencies].sort((a, b) => a - b);
    const result: StepResult = {
      users: target,
      received: step.received,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? NaN,
      perSecond: (step.received / elapsed) * 1000,
      kibPerSubscription: ((rssOpen - rssBefore) * 1024) / target,
    };
    results.push(result);
    console.log(
      `${target} users, one graphql-ws subscription each; ${EVENTS} answers completed: delivered ${result.received}/${EVENTS} in ${(elapsed / 1000).toFixed(2)} s (${result.perSecond.toFixed(0)}/s)`,
    );
    console.log(
      `  event published -> client: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(1)} ms; stack RSS ${rssBefore.toFixed(1)} -> ${rssOpen.toFixed(1)} MB: ${result.kibPerSubscription.toFixed(1)} KiB per subscription`,
    );
  }

  const [one, five, fifteen] = loadavg().map((l) => l.toFixed(2));
  console.log(`  load average: ${one} ${five} ${fifteen} (1, 5, 15 min; ${load1?.toFixed(2)} at the start); errors ${errors.length}`);
  if (errors.length > 0) console.log(`  first error: ${JSON.stringify(errors[0])}`);
  if (STEPS.length > 1) {
    const served = (r: StepResult): boolean => r.received === EVENTS && r.p99 <= P99_BOUND_MS;
    const firstMiss = results.find((r) => !served(r));
    const lastMet = [...results].reverse().find(served);
    console.log(
      firstMiss
        ? `fan-out limit (p99 <= ${P99_BOUND_MS} ms, every notification delivered): met up to ${lastMet?.users ?? 'no step of'} users; not at ${firstMiss.users} (p99 ${firstMiss.p99.toFixed(1)} ms, delivered ${firstMiss.received}/${EVENTS})`
        : `fan-out limit (p99 <= ${P99_BOUND_MS} ms, every notification delivered): met at every step, up to ${USERS} users`,
    );
  }

  await Promise.all(clients.map((client) => client.dispose()));
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const run = process.argv[2] === '--stack' ? runStack : main;
run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
