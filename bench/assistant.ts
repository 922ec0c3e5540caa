/**
 * Assistant latency (issue 17, first slice): one assistant subgraph in this process over the
 * embedded document store and event bus, driven over HTTP with router-signed requests (the
 * router's own overhead is not in these figures). `ASSISTANT_USERS` users create
 * `ASSISTANT_PER_USER` assistants each (sequentially; each user shares every other one with the
 * next user and makes every fourth one PUBLIC), then each user lists MINE, SHARED_WITH_ME and
 * PUBLIC (first 20) `ASSISTANT_LISTS` times. Printed: p50, p99 and max per operation, in ms.
 * Figures depend on the machine's load: compare runs made the same way, one after the other.
 *
 *   pnpm bench:assistant   # ASSISTANT_USERS=20 ASSISTANT_PER_USER=50 ASSISTANT_LISTS=20
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildAssistant, loadAssistantConfig } from '@chatgraph/assistant';
import { createLogger, signedGraphQL, type GraphQLResponse, type Principal } from '@chatgraph/kit';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';

const USERS = Number(process.env.ASSISTANT_USERS ?? 20);
const PER_USER = Number(process.env.ASSISTANT_PER_USER ?? 50);
const LISTS = Number(process.env.ASSISTANT_LISTS ?? 20);
const SECRET = 'assistant-bench-secret-0123456789abcdef';

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function report(name: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const fmt = (ms: number) => ms.toFixed(2).padStart(8);
  console.log(
    `${name.padEnd(36)} n=${String(sorted.length).padStart(5)}  p50 ${fmt(percentile(sorted, 50))}  p99 ${fmt(percentile(sorted, 99))}  max ${fmt(sorted[sorted.length - 1] ?? NaN)}`,
  );
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'assistant-bench-'));
  const config = loadAssistantConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const logger = createLogger({ name: 'assistant', level: 'silent' });
  const store = documentStoreFromConfig(config, 'assistant', logger);
  const bus = eventBusFromConfig(config, 'assistant', logger);
  await store.start();
  await bus.start();
  const assistant = buildAssistant({ store, bus, config, logger });
  const url = `${await assistant.start(0)}/graphql`;

  const users = Array.from({ length: USERS }, (_, i) => `bench-user-${i}`);
  const principal = (userId: string): Principal => ({ kind: 'user', userId, role: 'USER', via: 'jwt' });
  const timed = async (samples: number[], userId: string, query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> => {
    const started = performance.now();
    const res = await signedGraphQL(url, SECRET, principal(userId), query, variables);
    samples.push(performance.now() - started);
    if (res.errors?.length) throw new Error(JSON.stringify(res.errors));
    return res;
  };

  const creates: number[] = [];
  const shares: number[] = [];
  const CREATE = 'mutation($input: CreateAssistantInput!) { createAssistant(input: $input) { id } }';
  const SHARE = 'mutation($id: ID!, $v: Visibility!, $u: [ID!]) { shareAssistant(id: $id, visibility: $v, userIds: $u) { version } }';
  for (let n = 0; n < PER_USER; n++) {
    for (const [u, userId] of users.entries()) {
      const input = { name: `assistant ${n}`, instructions: 'Answer briefly. '.repeat(50), model: 'local-demo', tools: ['file_search'] };
      const res = await timed(creates, userId, CREATE, { input });
      const id = (res.data as { createAssistant: { id: string } }).createAssistant.id;
      if (n % 4 === 0) await timed(shares, userId, SHARE, { id, v: 'PUBLIC' });
      else if (n % 2 === 1) await timed(shares, userId, SHARE, { id, v: 'SHARED', u: [users[(u + 1) % users.length]] });
    }
  }

  const LIST = 'query($f: AssistantFilter) { assistants(filter: $f, first: 20) { edges { node { id name model } } totalCount } }';
  const lists: Record<string, number[]> = { MINE: [], SHARED_WITH_ME: [], PUBLIC: [] };
  for (let round = 0; round < LISTS; round++) {
    for (const userId of users) for (const [filter, samples] of Object.entries(lists)) await timed(samples, userId, LIST, { f: filter });
  }

  console.log(
    `assistant: ${USERS} users x ${PER_USER} assistants (embedded store and bus), load ${(await import('node:os')).loadavg()[0]?.toFixed(2)}`,
  );
  report('createAssistant', creates);
  report('shareAssistant', shares);
  for (const [filter, samples] of Object.entries(lists)) report(`assistants(${filter}) first 20`, samples);

  await assistant.stop();
  await bus.stop();
  await store.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
