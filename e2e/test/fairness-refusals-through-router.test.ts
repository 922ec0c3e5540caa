/**
 * What a flood costs everyone else (issue 10): once the flooding user is banned, its requests are
 * refused before the router reads, parses, validates or plans them, and before any per-operation
 * budget is decided. On a 2-core machine the CPU those refusals took was taken from another user's
 * answer. Counted, not timed: the router's `router_rate_limit_decisions_total` for the `messages`
 * policy (a per-operation policy, decided only once the document is parsed) does not move while
 * the banned user keeps sending; before the fix every banned `sendMessage` was parsed and decided.
 * Meanwhile another user's answer still starts before the flooding user's queued ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { FAIRNESS_ENV } from './fairnessScenario';
import { gql, register, sendTracked, watch, wsClient } from './liveChatScenarios';

const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { streamId } }';

interface Refusal {
  errors?: Array<{ extensions?: { code?: string; banned?: boolean; policy?: string } }>;
  data?: unknown;
}

let stack: EmbeddedStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-fair-refusals-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    ...FAIRNESS_ENV,
    BAN_THRESHOLD: '5',
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** `router_rate_limit_decisions_total` of the `messages` policy, every outcome summed. */
async function messageDecisions(): Promise<number> {
  const text = await stack.router.metrics.registry.metrics();
  return text
    .split('\n')
    .filter((line) => line.startsWith('router_rate_limit_decisions_total{') && line.includes('policy="messages"'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

it("refuses a banned flooder before parsing its requests or deciding their per-operation budgets, while another user's answer starts", async () => {
  const url = stack.url;
  const run = Date.now();
  const ada = await register(url, `flood-${run}@example.com`, 'Ada Flood');
  const bob = await register(url, `bob-${run}@example.com`, 'Bob Patient');

  // A floods until the router bans it (BAN_THRESHOLD 5: a few refusals are enough).
  let banned = false;
  for (let round = 0; round < 20 && !banned; round++) {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => gql<unknown>(url, ada, SEND, { input: { content: `flood ${round}-${i}` } }) as Promise<Refusal>),
    );
    banned = answers.some((a) => a.errors?.[0]?.extensions?.banned === true);
  }
  expect(banned).toBe(true);

  // Banned: the flood goes on, and nothing of it is parsed or decided per operation any more.
  const decidedBefore = await messageDecisions();
  const flood = await Promise.all(
    Array.from({ length: 30 }, (_, i) => gql<unknown>(url, ada, SEND, { input: { content: `more ${i}` } }) as Promise<Refusal>),
  );
  // Even a document that does not parse gets the ban, not a parse error: it was never parsed.
  const broken = (await gql<unknown>(url, ada, 'mutation { sendMessage(')) as Refusal;
  expect(flood.map((a) => a.errors?.[0]?.extensions)).toEqual(
    flood.map(() => expect.objectContaining({ code: 'RATE_LIMITED', banned: true })),
  );
  expect(broken.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', banned: true });
  expect(await messageDecisions()).toBe(decidedBefore);

  // B is not A: its message is accepted, decided, and its answer streams to done.
  const bobs = await sendTracked(url, bob, { content: 'Just one question, please' });
  expect(await messageDecisions()).toBe(decidedBefore + 1);
  const client = wsClient(url, bob);
  try {
    const stream = watch(client, bobs.streamId);
    expect((await stream.ended).error).toBeUndefined();
    expect(stream.chunks.at(-1)).toMatchObject({ done: true, status: 'COMPLETE' });
  } finally {
    await client.dispose();
  }
});
