/**
 * Search end to end: the one-process launcher behind `pnpm start` (every subgraph with embedded
 * adapters and one shared bus, the router composed from them), driven over HTTP through the
 * router. Messages sent with `sendMessage` reach search through conversation's events; hits
 * hydrate `Message` from conversation through the router's query plan.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { fileFileV1 } from '@chatgraph/schema';

let stack: EmbeddedStack;
let dataDir: string;

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

interface Hits {
  search: {
    edges: Array<{
      node: {
        kind: string;
        highlight: string;
        message: { id: string; content: string; conversation: { id: string } } | null;
        conversation: { id: string; title: string } | null;
      };
    }>;
  };
}

const SEARCH = `query($q: String!) {
  search(query: $q, mode: KEYWORD) {
    edges { node { kind highlight message { id content conversation { id } } conversation { id title } } }
  }
}`;

async function gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Response<T>;
}

async function register(email: string, name: string): Promise<string> {
  const res = await gql<{ register: { accessToken: string } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { email, name, password: 'a perfectly fine passphrase' } },
  );
  const token = res.data?.register.accessToken;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return token;
}

async function send(token: string, content: string): Promise<string> {
  const res = await gql<{ sendMessage: { conversation: { id: string } } }>(
    token,
    'mutation($c: String!) { sendMessage(input: { content: $c }) { conversation { id } } }',
    { c: content },
  );
  const id = res.data?.sendMessage.conversation.id;
  if (!id) throw new Error(`sendMessage failed: ${JSON.stringify(res.errors)}`);
  return id;
}

/** Reads until `done` passes or 400 reads were made, 10 ms apart; returns the last read (the caller asserts on it). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 400 && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = await read();
  }
  return value;
}

/** One hit as the query above selects it. */
type Edge = Hits['search']['edges'][number];

/** The conversation a hit belongs to (a message's, or the conversation hit itself). */
const conversationOf = (e: Edge): string | undefined => e.node.message?.conversation.id ?? e.node.conversation?.id;

async function hits(token: string, q: string): Promise<Edge[]> {
  const res = await gql<Hits>(token, SEARCH, { q });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data?.search.edges ?? [];
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-search-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('search through the router', () => {
  it("two users with overlapping words only ever find their own messages; a deleted conversation's messages disappear", async () => {
    const ada = await register('ada@example.com', 'Ada Lovelace');
    const bob = await register('bob@example.com', 'Bob');
    const adaText = 'Where does the zebra cross the harbour bridge?';
    const bobText = 'A zebra and a harbour seal at the zoo';
    const adaConversation = await send(ada, adaText);
    const bobConversation = await send(bob, bobText);

    const adaHits = await eventually(
      () => hits(ada, 'zebra harbour'),
      (found) => found.some((e) => e.node.message?.content === adaText),
    );
    expect(adaHits.map((e) => e.node.message?.content)).toContain(adaText);
    const bobHits = await eventually(
      () => hits(bob, 'zebra harbour'),
      (found) => found.some((e) => e.node.message?.content === bobText),
    );
    expect(bobHits.map((e) => e.node.message?.content)).toContain(bobText);
    // Hydrated from conversation through the router, and only ever the caller's own.
    expect(adaHits.every((e) => conversationOf(e) === adaConversation)).toBe(true);
    expect(bobHits.every((e) => conversationOf(e) === bobConversation)).toBe(true);
    // The conversation's title (its first message, until a title is generated) is a hit of its own.
    const titleHit = await eventually(
      () => hits(ada, 'zebra harbour'),
      (found) => found.some((e) => e.node.kind === 'CONVERSATION'),
    );
    expect(titleHit.filter((e) => e.node.kind === 'CONVERSATION').map((e) => e.node.conversation?.id)).toEqual([adaConversation]);
    expect(adaHits.find((e) => e.node.message?.content === adaText)?.node.highlight).toContain('<mark>zebra</mark>');
    expect(JSON.stringify(adaHits)).not.toContain('seal');
    expect(await hits(ada, 'seal zoo')).toEqual([]);
    // The default mode (HYBRID: BM25 fused with the vector kNN, which ranks every message of the
    // caller) still never reaches another user's messages.
    for (const mode of ['HYBRID', 'SEMANTIC']) {
      const fused = await gql<Hits>(ada, SEARCH.replace('mode: KEYWORD', `mode: ${mode}`), { q: 'zebra harbour seal zoo' });
      expect(fused.errors).toBeUndefined();
      const conversations = (fused.data?.search.edges ?? []).map(conversationOf);
      expect(conversations.length).toBeGreaterThan(0);
      expect(conversations.every((id) => id === adaConversation)).toBe(true);
    }

    const deleted = await gql(ada, 'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }', { id: adaConversation });
    expect(deleted.errors).toBeUndefined();
    const afterDelete = await eventually(
      () => hits(ada, 'zebra harbour'),
      (found) => found.length === 0,
    );
    expect(afterDelete).toEqual([]);
    expect((await hits(bob, 'zebra harbour')).some((e) => e.node.message?.content === bobText)).toBe(true);
  });

  it("file chunks are FILE hits with a File reference and totalCount through the router, only the owner's, gone with the file", async () => {
    const dee = await register('dee@example.com', 'Dee');
    const eve = await register('eve@example.com', 'Eve');
    const idOf = async (token: string): Promise<string> =>
      (await gql<{ me: { id: string } }>(token, 'query { me { id } }')).data?.me.id ?? '';
    const [deeId, eveId] = [await idOf(dee), await idOf(eve)];
    // The file subgraph's events, as it publishes them once a file is processed (it is built separately).
    const chunked = (fileId: string, ownerId: string, texts: string[]) => ({
      key: fileId,
      event: fileFileV1.create(
        'file.chunked',
        { fileId, ownerId },
        { filename: 'notes.txt', chunks: texts.map((text, index) => ({ index, text, tokens: 5 })), chunkCount: texts.length },
      ),
    });
    await stack.bus.publish(fileFileV1.topic, [
      chunked('file-dee', deeId, ['The walrus colony moves north in spring.', 'Walrus tusks grow all their life.']),
      chunked('file-eve', eveId, ['A walrus in the bay.']),
    ]);
    const FILES = `query($q: String!) { search(query: $q, mode: KEYWORD, kinds: [FILE]) { totalCount edges { node { kind highlight file { id } } } } }`;
    type FileHits = {
      search: { totalCount: number; edges: Array<{ node: { kind: string; highlight: string; file: { id: string } | null } }> };
    };
    const deeHits = await eventually(
      async () => (await gql<FileHits>(dee, FILES, { q: 'walrus' })).data?.search,
      (found) => found?.totalCount === 2,
    );
    expect(deeHits?.totalCount).toBe(2);
    expect(deeHits?.edges.map((e) => [e.node.kind, e.node.file?.id])).toEqual([
      ['FILE', 'file-dee'],
      ['FILE', 'file-dee'],
    ]);
    expect(
      deeHits?.edges.every((e) => e.node.highlight.includes('<mark>Walrus</mark>') || e.node.highlight.includes('<mark>walrus</mark>')),
    ).toBe(true);
    const eveHits = await eventually(
      async () => (await gql<FileHits>(eve, FILES, { q: 'walrus' })).data?.search,
      (found) => found?.totalCount === 1,
    );
    expect(eveHits?.edges.map((e) => e.node.file?.id)).toEqual(['file-eve']);

    await stack.bus.publish(fileFileV1.topic, [
      { key: 'file-dee', event: fileFileV1.create('file.deleted', { fileId: 'file-dee', ownerId: deeId }, {}) },
    ]);
    const gone = await eventually(
      async () => (await gql<FileHits>(dee, FILES, { q: 'walrus' })).data?.search,
      (found) => found?.totalCount === 0,
    );
    expect(gone).toEqual({ totalCount: 0, edges: [] });
  });

  it("filter.tags finds the caller's tagged conversations only, follows a tag change, and pages backward with owner-bound cursors", async () => {
    const fay = await register('fay@example.com', 'Fay');
    const gus = await register('gus@example.com', 'Gus');
    const tagged = await send(fay, 'An otter builds a holt by the river');
    const untagged = await send(fay, 'An otter eats crayfish at dusk');
    const theirs = await send(gus, 'An otter in the estuary');
    const tag = async (token: string, id: string, tags: string[]): Promise<void> => {
      const res = await gql(token, 'mutation($id: ID!, $tags: [String!]) { updateConversation(id: $id, input: { tags: $tags }) { id } }', {
        id,
        tags,
      });
      expect(res.errors).toBeUndefined();
    };
    await tag(fay, tagged, ['wildlife']);
    await tag(gus, theirs, ['wildlife']);
    const TAGGED = `query($q: String!, $tags: [String!]) {
      search(query: $q, mode: KEYWORD, filter: { tags: $tags }) { edges { node { kind message { conversation { id tags } } conversation { id tags } } } }
    }`;
    type TaggedHits = {
      search: {
        edges: Array<{
          node: {
            kind: string;
            message: { conversation: { id: string; tags: string[] } } | null;
            conversation: { id: string; tags: string[] } | null;
          };
        }>;
      };
    };
    const conversationsFound = async (token: string, tags: string[]): Promise<string[]> => {
      const res = await gql<TaggedHits>(token, TAGGED, { q: 'otter', tags });
      expect(res.errors).toBeUndefined();
      return [...new Set((res.data?.search.edges ?? []).map((e) => (e.node.message?.conversation ?? e.node.conversation)?.id ?? ''))];
    };
    expect(
      await eventually(
        () => conversationsFound(fay, ['wildlife']),
        (ids) => ids.length === 1,
      ),
    ).toEqual([tagged]);
    expect(
      await eventually(
        () => conversationsFound(gus, ['wildlife']),
        (ids) => ids.length === 1,
      ),
    ).toEqual([theirs]);
    // The tag moves to the other conversation: the next search follows it.
    await tag(fay, tagged, []);
    await tag(fay, untagged, ['wildlife']);
    expect(
      await eventually(
        () => conversationsFound(fay, ['wildlife']),
        (ids) => ids.join() === untagged,
      ),
    ).toEqual([untagged]);

    // Backward paging through the router: the forward list, reversed; another user's cursor is refused.
    const PAGE = `query($first: Int, $after: String, $last: Int, $before: String) {
      search(query: "otter", mode: KEYWORD, first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { kind message { id } conversation { id } } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }`;
    type Paged = {
      search: {
        edges: Array<{ cursor: string; node: { kind: string; message: { id: string } | null; conversation: { id: string } | null } }>;
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
      };
    };
    const keyOf = (e: Paged['search']['edges'][number]): string => `${e.node.kind}:${e.node.message?.id ?? e.node.conversation?.id ?? ''}`;
    const whole = (await gql<Paged>(fay, PAGE, { first: 100 })).data?.search.edges.map(keyOf) ?? [];
    expect(whole.length).toBeGreaterThanOrEqual(4);
    const backward: string[] = [];
    let before: string | null = null;
    for (let n = 0; n < 20; n += 1) {
      const res: Response<Paged> = await gql<Paged>(fay, PAGE, before ? { last: 2, before } : { last: 2 });
      expect(res.errors).toBeUndefined();
      backward.unshift(...(res.data?.search.edges.map(keyOf) ?? []));
      if (!res.data?.search.pageInfo.hasPreviousPage) break;
      before = res.data.search.pageInfo.startCursor;
    }
    expect(backward).toEqual(whole);
    const cursor = (await gql<Paged>(fay, PAGE, { first: 1 })).data?.search.pageInfo.endCursor;
    const foreign = await gql<Paged>(gus, PAGE, { first: 1, after: cursor });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('malformed and huge queries give results or BAD_USER_INPUT through the router, never a 500', async () => {
    const cy = await register('cy@example.com', 'Cy');
    for (const q of ['zebra (', '"unterminated', 'title:foo*', '東京 café']) {
      const res = await gql<Hits>(cy, SEARCH, { q });
      expect({ q, errors: res.errors }).toEqual({ q, errors: undefined });
    }
    for (const q of ['x'.repeat(10_240), '"*():~', '']) {
      const res = await gql<Hits>(cy, SEARCH, { q });
      expect({ q: q.slice(0, 10), code: res.errors?.[0]?.extensions?.code }).toEqual({ q: q.slice(0, 10), code: 'BAD_USER_INPUT' });
    }
    const anonymous = await gql<Hits>(undefined, SEARCH, { q: 'zebra' });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
