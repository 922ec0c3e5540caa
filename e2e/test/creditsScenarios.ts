/**
 * Credits and usage through the router, with Apollo Client 4 as the client: a priced model
 * (1,000 $/MTok, so any answer costs more than the starting balance) debits a user's balance once
 * per generation even when ai-gateway's `generation.completed` is delivered again; at zero the
 * next `sendMessage` is PAYMENT_REQUIRED (conversation's read model of `ratelimit.balance.v1`),
 * and after an ADMIN's `grantCredits` it is accepted again. Bad grants and other users' balances
 * are refused with codes. The same scenarios run embedded and on the distributed stack.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql, type DocumentNode } from '@apollo/client';
import { newId } from '@chatgraph/kit';
import type { EventBus } from '@chatgraph/kit/events';
import { aiGenerationV1, type AiGenerationEvent } from '@chatgraph/schema';

type Completed = Extract<AiGenerationEvent, { type: 'generation.completed' }>;
import { register } from './liveChatScenarios';

export const STARTING_CREDITS = 1000;
/** $1,000 per million tokens = 1,000 credits per token: one answer of the demo model spends the whole starting balance. */
export const PRICE_PER_MTOK = 1000;

/** A catalog (ai-gateway's MODEL_CATALOG_FILE) with the demo model free and a priced copy of it. */
export function writePricedCatalog(dir: string): string {
  const file = path.join(dir, 'priced-catalog.json');
  const catalog = {
    providers: [{ id: 'demo', kind: 'demo' }],
    models: [
      {
        id: 'local-demo',
        displayName: 'Local demo',
        contextWindow: 8192,
        capabilities: ['chat'],
        inputPricePerMTok: 0,
        outputPricePerMTok: 0,
      },
      {
        id: 'priced-demo',
        displayName: 'Priced demo',
        contextWindow: 8192,
        capabilities: ['chat'],
        inputPricePerMTok: PRICE_PER_MTOK,
        outputPricePerMTok: PRICE_PER_MTOK,
      },
    ],
    routes: { 'local-demo': [{ provider: 'demo', model: 'local-demo' }], 'priced-demo': [{ provider: 'demo', model: 'local-demo' }] },
    titleModel: 'local-demo',
  };
  writeFileSync(file, JSON.stringify(catalog));
  return file;
}

/** The environment the scenarios need in every service. */
export const creditsEnv = (catalogFile: string): Record<string, string> => ({
  MODEL_CATALOG_FILE: catalogFile,
  STARTING_CREDITS: String(STARTING_CREDITS),
  BALANCE_ENFORCED: 'true',
  DEMO_TOKEN_INTERVAL_MS: '1',
});

export interface CreditsTarget {
  routerUrl(): string;
  /** The bus the services share (the test replays ai-gateway's events on it). */
  bus(): EventBus;
  /**
   * Bounded polling steps, 150 ms apart: the admin's polls are rate limited like any client's
   * (600 operations and 100,000 cost a minute by default); at 20 ms apart a slow debit once got
   * the poll itself RATE_LIMITED in CI.
   */
  tries: number;
}

const ME = gql`
  query Me {
    me {
      id
      balance {
        credits
      }
      usage {
        generations
        promptTokens
        completionTokens
        credits
        byModel {
          model
          generations
        }
      }
    }
  }
`;
const SEND = gql`
  mutation Send($input: SendMessageInput!) {
    sendMessage(input: $input) {
      conversation {
        id
      }
      assistantMessage {
        id
      }
      streamId
    }
  }
`;
const GRANT = gql`
  mutation Grant($userId: ID!, $credits: Int!, $reason: String!) {
    grantCredits(userId: $userId, credits: $credits, reason: $reason) {
      credits
    }
  }
`;
const LEDGER = gql`
  query Ledger($userId: ID) {
    creditLedger(userId: $userId, first: 10) {
      totalCount
      edges {
        node {
          kind
          credits
          model
          reason
          actorId
        }
      }
    }
  }
`;
const OTHER = gql`
  query Other($id: ID!) {
    user(id: $id) {
      id
      balance {
        credits
      }
    }
  }
`;
const OTHER_USAGE = gql`
  query OtherUsage($id: ID!) {
    user(id: $id) {
      id
      usage {
        generations
      }
    }
  }
`;
const TOTALS = gql`
  query Totals {
    usageTotals {
      generations
      users
    }
  }
`;

interface Answer<T> {
  data: T | undefined;
  code: string | undefined;
  field: string | undefined;
}

/** A client of the router signed in with `token`: no cache reuse, errors returned rather than thrown. */
function client(url: string, token: string): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: 'no-cache' }, mutate: { fetchPolicy: 'no-cache' } },
  });
}

function answerOf<T>(result: { data?: T | null; error?: unknown }): Answer<T> {
  const first = CombinedGraphQLErrors.is(result.error) ? result.error.errors[0] : undefined;
  if (result.error && !first) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return {
    data: result.data ?? undefined,
    code: first?.extensions?.code as string | undefined,
    field: first?.extensions?.field as string | undefined,
  };
}

const query = async <T>(c: ApolloClient, document: DocumentNode, variables: Record<string, unknown> = {}): Promise<Answer<T>> =>
  answerOf(await c.query<T>({ query: document, variables, errorPolicy: 'all' }));
const mutate = async <T>(c: ApolloClient, document: DocumentNode, variables: Record<string, unknown> = {}): Promise<Answer<T>> =>
  answerOf(await c.mutate<T>({ mutation: document, variables, errorPolicy: 'all' }));

interface MeData {
  me: {
    id: string;
    balance: { credits: number };
    usage: {
      generations: number;
      promptTokens: number;
      completionTokens: number;
      credits: number;
      byModel: Array<{ model: string; generations: number }>;
    };
  };
}
interface LedgerData {
  creditLedger: {
    totalCount: number;
    edges: Array<{ node: { kind: string; credits: number; model: string | null; reason: string; actorId: string | null } }>;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, tries: number): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !done(value); i++) {
    await sleep(150);
    value = await read();
  }
  return value;
}

export function describeCredits(name: string, target: () => CreditsTarget): void {
  describe(`credits and usage through the router (${name})`, () => {
    let admin: ApolloClient;
    let adminId: string;
    let alice: ApolloClient;
    let aliceId: string;
    let bob: ApolloClient;
    let bobId: string;
    const completed: Completed[] = [];

    const me = async (c: ApolloClient): Promise<MeData['me']> => {
      const answer = await query<MeData>(c, ME);
      if (!answer.data) throw new Error(`me failed: ${answer.code}`);
      return answer.data.me;
    };
    const ledgerOf = async (userId: string): Promise<LedgerData['creditLedger']> => {
      const answer = await query<LedgerData>(admin, LEDGER, { userId });
      if (!answer.data) throw new Error(`creditLedger failed: ${answer.code}`);
      return answer.data.creditLedger;
    };

    beforeAll(async () => {
      const url = target().routerUrl();
      const run = newId().slice(0, 8);
      // The first account of a deployment is its ADMIN.
      admin = client(url, await register(url, `credits-admin-${run}@example.com`, 'Credits Admin'));
      adminId = (await me(admin)).id;
      alice = client(url, await register(url, `credits-alice-${run}@example.com`, 'Alice'));
      aliceId = (await me(alice)).id;
      bob = client(url, await register(url, `credits-bob-${run}@example.com`, 'Bob'));
      bobId = (await me(bob)).id;
      // Watches ai-gateway's outcomes from now on, to deliver one of them again.
      await target()
        .bus()
        .subscribe({
          groupId: `credits-test-${newId()}`,
          topics: [aiGenerationV1.topic],
          handler: async (d) => {
            const event = aiGenerationV1.validate(d.event);
            if (event.type === 'generation.completed') completed.push(event);
          },
        });
    });

    it('starts users with STARTING_CREDITS, as rate-limit opens their balance on registration', async () => {
      const opened = await until(
        () => ledgerOf(aliceId),
        (l) => l.edges.length > 0,
        target().tries,
      );
      expect(opened.edges.map((e) => e.node.kind)).toEqual(['OPENING']);
      expect((await me(alice)).balance.credits).toBe(STARTING_CREDITS);
    });

    it('debits a generation once, even when its completion is delivered again', async () => {
      const sent = await mutate<{ sendMessage: { assistantMessage: { id: string } } }>(alice, SEND, {
        input: { content: 'what does this cost?', model: 'priced-demo' },
      });
      expect(sent.code).toBeUndefined();
      const messageId = sent.data?.sendMessage.assistantMessage.id;
      const debited = await until(
        () => ledgerOf(aliceId),
        (l) => l.edges.some((e) => e.node.kind === 'DEBIT'),
        target().tries,
      );
      const debit = debited.edges.find((e) => e.node.kind === 'DEBIT')?.node;
      expect(debit?.model).toBe('priced-demo');
      const after = await me(alice);
      // Every token costs 1,000 credits: prompt + completion tokens, times the price.
      expect(after.usage.generations).toBe(1);
      expect(after.usage.credits).toBe((after.usage.promptTokens + after.usage.completionTokens) * PRICE_PER_MTOK);
      expect(debit?.credits).toBe(-after.usage.credits);
      expect(after.balance.credits).toBe(STARTING_CREDITS - after.usage.credits);
      expect(after.balance.credits).toBeLessThanOrEqual(0);

      // ai-gateway's event, delivered again, followed on the same key by a sentinel for bob:
      // once the sentinel is debited, the duplicate (earlier in the same partition) was consumed.
      const original = await until(
        async () => completed.find((e) => e.subject.messageId === messageId),
        (e) => e !== undefined,
        target().tries,
      );
      if (!original) throw new Error('generation.completed of the turn was not seen');
      const sentinel = aiGenerationV1.create(
        'generation.completed',
        { ...original.subject, ownerId: bobId, messageId: newId(), streamId: newId() },
        { ...original.payload, model: 'local-demo' },
      );
      await target()
        .bus()
        .publish(aiGenerationV1.topic, [
          { key: original.subject.conversationId, event: original },
          { key: original.subject.conversationId, event: sentinel },
        ]);
      await until(
        () => ledgerOf(bobId),
        (l) => l.edges.some((e) => e.node.kind === 'DEBIT'),
        target().tries,
      );
      const again = await ledgerOf(aliceId);
      expect(again.edges.filter((e) => e.node.kind === 'DEBIT')).toHaveLength(1);
      expect((await me(alice)).balance.credits).toBe(after.balance.credits);
      expect((await me(alice)).usage.generations).toBe(1);
    });

    it('refuses sendMessage with PAYMENT_REQUIRED at zero, and accepts it again after grantCredits', async () => {
      // conversation learns the balance from rate-limit's event: refused once it has.
      const refused = await until(
        () => mutate(alice, SEND, { input: { content: 'one more?', model: 'local-demo' } }),
        (a) => a.code !== undefined,
        target().tries,
      );
      expect(refused.code).toBe('PAYMENT_REQUIRED');
      const balance = (await me(alice)).balance.credits;
      // Enough to cover the debt and leave 5,000 credits.
      const credits = 5000 - balance;
      const granted = await mutate<{ grantCredits: { credits: number } }>(admin, GRANT, {
        userId: aliceId,
        credits,
        reason: 'top-up for the test',
      });
      expect(granted.code).toBeUndefined();
      expect(granted.data?.grantCredits.credits).toBe(5000);
      const accepted = await until(
        () => mutate(alice, SEND, { input: { content: 'thanks', model: 'local-demo' } }),
        (a) => a.code === undefined,
        target().tries,
      );
      expect(accepted.code).toBeUndefined();
      const log = await ledgerOf(aliceId);
      expect(log.edges[0]?.node).toMatchObject({ kind: 'GRANT', credits, reason: 'top-up for the test', actorId: adminId });
    });

    it('refuses bad grants with a code and changes nothing', async () => {
      const before = (await me(bob)).balance.credits;
      const entries = (await ledgerOf(bobId)).totalCount;
      expect(await mutate(admin, GRANT, { userId: bobId, credits: -100, reason: 'x' })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'credits',
      });
      expect(await mutate(admin, GRANT, { userId: bobId, credits: 2_000_000_000, reason: 'x' })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'credits',
      });
      expect((await mutate(admin, GRANT, { userId: bobId, credits: 2 ** 40, reason: 'x' })).code).toBe('BAD_USER_INPUT');
      expect(await mutate(admin, GRANT, { userId: bobId, credits: 10, reason: '' })).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'reason',
      });
      expect(await mutate(admin, GRANT, { userId: newId(), credits: 10, reason: 'x' })).toMatchObject({
        code: 'NOT_FOUND',
        field: 'userId',
      });
      expect((await mutate(bob, GRANT, { userId: bobId, credits: 10, reason: 'x' })).code).toBe('FORBIDDEN');
      expect((await query(bob, LEDGER, { userId: bobId })).code).toBe('FORBIDDEN');
      expect((await query(bob, TOTALS)).code).toBe('FORBIDDEN');
      expect((await me(bob)).balance.credits).toBe(before);
      expect((await ledgerOf(bobId)).totalCount).toBe(entries);
    });

    it("keeps a user's balance and usage from other users, and shows them to an ADMIN", async () => {
      const balance = await query<{ user: { balance: { credits: number } | null } | null }>(bob, OTHER, { id: aliceId });
      expect(balance.code).toBe('FORBIDDEN');
      expect(balance.data?.user?.balance ?? null).toBeNull();
      expect((await query(bob, OTHER_USAGE, { id: aliceId })).code).toBe('FORBIDDEN');
      const seen = await query<{ user: { balance: { credits: number } } }>(admin, OTHER, { id: aliceId });
      expect(seen.code).toBeUndefined();
      expect(seen.data?.user.balance.credits).toBe((await me(alice)).balance.credits);
      const totals = await query<{ usageTotals: { generations: number; users: number } }>(admin, TOTALS);
      expect(totals.data?.usageTotals.generations).toBeGreaterThanOrEqual(2);
    });
  });
}
