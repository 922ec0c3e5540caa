/**
 * One user must not starve everyone (issue 10), as a client sees it through the router: user A
 * floods `sendMessage` from many clients at once, across new conversations; beyond
 * MAX_OPEN_GENERATIONS_PER_USER they are refused RATE_LIMITED. User B then sends one message,
 * and ai-gateway (one generation slot, so generations run strictly one after another) starts B's
 * answer before A's queued ones, while A keeps flooding (refused, but for the one place freed
 * when A's streaming answer ends). B's answer streams to `done` and is stored COMPLETE.
 *
 * Order is what is asserted, not time: the first tokens of B's answer and of A's queued answers
 * are watched through the router, and B's must arrive before any of A's queued ones. Before the fix
 * every flooded message was accepted and queued first-come, so B's answer started after all of A's.
 * The stack must run with `FAIRNESS_ENV`.
 */
import type { Client } from 'graphql-ws';
import { expectWellFormed, finalAnswer, gql, register, sendTracked, textOf, watch, wsClient, type Watch } from './liveChatScenarios';

const CAP = 3;
const FLOOD = 24;
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { conversation { id } assistantMessage { id } streamId } }';

/**
 * The services' settings the scenario needs: a small cap and one generation slot; and no ban for
 * A's flood (refused all the same), since a banned A could not read its own answers' statuses.
 */
export const FAIRNESS_ENV = {
  MAX_OPEN_GENERATIONS_PER_USER: String(CAP),
  MAX_CONCURRENT_GENERATIONS: '1',
  DRAIN_TIMEOUT_MS: '0',
  DEMO_TOKEN_INTERVAL_MS: '20',
  BAN_THRESHOLD: '1000000',
};

export interface FairnessTarget {
  /** The router's `/graphql` URL. */
  url(): string;
  /** Bound on each wait (polling steps of ~25 ms, and the final read). */
  timeoutMs: number;
}

interface Turn {
  conversation: { id: string };
  assistantMessage: { id: string };
  streamId: string;
}

/** The status of each answer, read through the router as its owner. */
async function statuses(url: string, token: string, turns: Turn[]): Promise<string[]> {
  const fields = turns.map((t, i) => `c${i}: conversation(id: "${t.conversation.id}") { currentBranch { id status } }`).join(' ');
  const res = await gql<Record<string, { currentBranch: Array<{ id: string; status: string }> } | null>>(url, token, `{ ${fields} }`);
  return turns.map((t, i) => res.data?.[`c${i}`]?.currentBranch.find((m) => m.id === t.assistantMessage.id)?.status ?? 'missing');
}

export function describeFairness(name: string, target: () => FairnessTarget): void {
  const clients: Client[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
  });

  it(`starts another user's answer before a flooding user's queued ones, and stores it COMPLETE when its stream is done (${name})`, async () => {
    const { timeoutMs } = target();
    const url = target().url();
    const steps = Math.ceil(timeoutMs / 25);
    const run = Date.now();
    const ada = await register(url, `flood-${run}@example.com`, 'Ada Flood');
    const bob = await register(url, `bob-${run}@example.com`, 'Bob Patient');

    // A floods: every request at once, each starting a new conversation.
    const flood = await Promise.all(
      Array.from({ length: FLOOD }, (_, i) =>
        gql<{ sendMessage: Turn }>(url, ada, SEND, { input: { content: `flood ${i}: tell me everything about everything` } }),
      ),
    );
    const accepted = flood.flatMap((res) => (res.data?.sendMessage ? [res.data.sendMessage] : []));
    const refused = flood.filter((res) => res.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(accepted.length).toBe(CAP);
    expect(refused.length).toBe(FLOOD - CAP);
    expect(refused[0]?.errors?.[0]?.extensions).toMatchObject({ reason: 'TOO_MANY_OPEN_GENERATIONS' });

    // One of A's answers holds the only slot; the others wait for it.
    let adaStatuses = await statuses(url, ada, accepted);
    for (let i = 0; i < steps && !adaStatuses.includes('STREAMING'); i++) {
      await new Promise((r) => setTimeout(r, 25));
      adaStatuses = await statuses(url, ada, accepted);
    }
    expect(adaStatuses.filter((s) => s === 'STREAMING').length).toBe(1);
    const queued = accepted.filter((_, i) => adaStatuses[i] === 'PENDING');
    expect(queued.length).toBe(CAP - 1);

    // A keeps flooding while B asks (4 clients, each sending again as soon as it is answered).
    let flooding = true;
    const later: string[] = [];
    const ongoing = Array.from({ length: 4 }, async (_, c) => {
      for (let i = 0; flooding; i++) {
        const res = await gql<{ sendMessage: Turn }>(url, ada, SEND, { input: { content: `flood again ${c}-${i}` } });
        later.push(res.data?.sendMessage ? 'accepted' : (res.errors?.[0]?.extensions?.code ?? 'error'));
      }
    });

    // The order in which the answers' first tokens reach their clients: with one generation slot,
    // A's queued answers cannot start before B's ends, so B's first token must come first. (Read
    // from the streams, not polled statuses: between two polls on a loaded machine B's answer could
    // both start and end, and A's next one start, leaving the order unseen.)
    const firsts: string[] = [];
    const noteFirst = (w: Watch, who: string): void => void w.atLeast(1).then(() => (w.chunks.length > 0 ? firsts.push(who) : undefined));
    const adaClient = wsClient(url, ada);
    clients.push(adaClient);
    const adaQueued = queued.map((t) => watch(adaClient, t.streamId));
    adaQueued.forEach((w, i) => noteFirst(w, `ada-queued-${i}`));

    const bobs = await sendTracked(url, bob, { content: 'Just one question, please' });
    const client = wsClient(url, bob);
    clients.push(client);
    const stream = watch(client, bobs.streamId);
    noteFirst(stream, 'bob');

    const within = <T>(what: Promise<T>, label: string): Promise<T> =>
      Promise.race([
        what,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`${label}: nothing within ${timeoutMs} ms`)), timeoutMs).unref(),
        ),
      ]);
    await within(stream.atLeast(1), "B's first token");
    flooding = false;
    await Promise.all(ongoing);
    expect(stream.chunks.length).toBeGreaterThan(0);
    // A's queued answers run after B's: wait for their first tokens, then read the order.
    await within(Promise.all(adaQueued.map((w) => w.atLeast(1))), "A's queued answers' first tokens");
    expect(firsts[0]).toBe('bob');
    expect(firsts.length).toBe(1 + queued.length);
    // The flood went on the whole time and was refused, except that when A's streaming answer
    // finished (which is what let B's start, there being one slot) A was below the cap again, and
    // one more of its messages may have been accepted in that moment: never more than that one.
    expect(later.filter((code) => code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(4);
    expect(later.filter((code) => code !== 'RATE_LIMITED' && code !== 'accepted')).toEqual([]);
    expect(later.filter((code) => code === 'accepted').length).toBeLessThanOrEqual(1);

    // B's stream runs to done, and conversation stores the answer COMPLETE with the streamed text.
    expect((await stream.ended).error).toBeUndefined();
    expectWellFormed(stream.chunks);
    expect(stream.chunks.at(-1)).toMatchObject({ done: true, status: 'COMPLETE' });
    const stored = await finalAnswer(url, bob, bobs.assistantMessage.id, timeoutMs);
    expect(stored).toMatchObject({ status: 'COMPLETE', content: textOf(stream.chunks) });
  });
}
