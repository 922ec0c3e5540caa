/**
 * The graph as a normalized-cache client uses it: Apollo Client 4 with InMemoryCache (and Relay
 * pagination type policies) over HTTP through the router, in front of identity and conversation.
 * A chat view pages the active branch newest-first, then older; every paging argument refuses bad
 * input with BAD_USER_INPUT naming the argument. A long history is seeded in conversation's store
 * rather than sent turn by turn.
 */
import { ApolloClient, HttpLink, InMemoryCache, gql, type Reference } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { filter, firstValueFrom } from 'rxjs';
import { newId } from '@chatgraph/kit';
import { conversationCollections, type MessageDoc } from '@chatgraph/conversation';
import { startEmbeddedWithBus } from './conversationScenarios';

let stack: Awaited<ReturnType<typeof startEmbeddedWithBus>>;

beforeAll(async () => {
  stack = await startEmbeddedWithBus();
});

afterAll(async () => {
  await stack?.stop();
});

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

async function raw<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Response<T>;
}

async function register(email: string): Promise<{ token: string; userId: string }> {
  const res = await raw<{ register: { accessToken: string; user: { id: string } } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    {
      input: { email, name: email.split('@')[0], password: 'a perfectly fine passphrase' },
    },
  );
  if (!res.data) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return { token: res.data.register.accessToken, userId: res.data.register.user.id };
}

function apollo(token: string): ApolloClient {
  const cache = new InMemoryCache({
    typePolicies: {
      Conversation: { fields: { branch: relayStylePagination(), messages: relayStylePagination() } },
    },
  });
  return new ApolloClient({ link: new HttpLink({ uri: stack.url, headers: { authorization: `Bearer ${token}` } }), cache });
}

/**
 * A conversation of `userId` whose active branch is `length` messages deep, with an abandoned
 * sibling at every level (so a page must follow parent links, not take every message at a
 * depth). Returns the conversation id and the active path, root first.
 */
async function seedBranch(token: string, userId: string, length: number): Promise<{ id: string; path: string[] }> {
  const created = await raw<{ createConversation: { id: string } }>(
    token,
    'mutation { createConversation(input: { title: "long" }) { id } }',
  );
  const id = created.data?.createConversation.id as string;
  const collections = conversationCollections(stack.conversationStore);
  const docs: MessageDoc[] = [];
  const path: string[] = [];
  let parentId: string | null = null;
  for (let depth = 0; depth < length; depth++) {
    const at = (n: number) => new Date(1_700_000_000_000 + depth * 10 + n);
    const base = {
      conversationId: id,
      ownerId: userId,
      parentId,
      role: depth % 2 === 0 ? ('USER' as const) : ('ASSISTANT' as const),
      status: 'COMPLETE' as const,
      streamId: null,
      model: null,
      tokenCount: null,
      finishReason: null,
      feedback: null,
      fileIds: [],
      depth,
    };
    docs.push({ ...base, _id: newId(), content: `abandoned ${depth}`, createdAt: at(0), updatedAt: at(0) });
    const onPath: MessageDoc = { ...base, _id: newId(), content: `m${depth}`, createdAt: at(1), updatedAt: at(1) };
    docs.push(onPath);
    path.push(onPath._id);
    parentId = onPath._id;
  }
  await collections.messages.insertMany(docs);
  await collections.conversations.updateOne({ _id: id }, { $set: { activeLeafId: parentId, lastMessageId: parentId } });
  return { id, path };
}

const BRANCH_PAGE = gql`
  query BranchPage($id: ID!, $last: Int, $before: String) {
    conversation(id: $id) {
      id
      branch(last: $last, before: $before) {
        totalCount
        edges {
          cursor
          node {
            id
            content
          }
        }
        pageInfo {
          hasPreviousPage
          hasNextPage
          startCursor
          endCursor
        }
      }
    }
  }
`;

interface BranchPage {
  conversation: {
    id: string;
    branch: {
      totalCount: number;
      edges: Array<{ cursor: string; node: { id: string; content: string } }>;
      pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null };
    };
  };
}

describe('Conversation.branch through the router, in an Apollo cache', () => {
  it('loads the newest 50 of the active branch, then older pages, into one cached list in path order', async () => {
    const ada = await register('ada-paging@example.com');
    const { id, path } = await seedBranch(ada.token, ada.userId, 120);
    const client = apollo(ada.token);
    const first = await client.query<BranchPage>({ query: BRANCH_PAGE, variables: { id, last: 50 } });
    const newest = first.data?.conversation.branch;
    expect(newest?.totalCount).toBe(120);
    expect(newest?.edges.map((e) => e.node.id)).toEqual(path.slice(70));
    expect(newest?.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });

    let pages = 1;
    let info = newest?.pageInfo;
    while (info?.hasPreviousPage) {
      // The response is written to the cache, where relayStylePagination merges the older page in front.
      const older = await client.query<BranchPage>({
        query: BRANCH_PAGE,
        variables: { id, last: 50, before: info.startCursor },
        fetchPolicy: 'network-only',
      });
      // The answer is read back from the cache: every page so far, merged.
      expect(older.data?.conversation.branch.edges).toHaveLength(Math.min(120, 50 * (pages + 1)));
      info = older.data?.conversation.branch.pageInfo;
      pages++;
    }
    expect(pages).toBe(3);
    const cached = client.cache.readQuery<BranchPage>({ query: BRANCH_PAGE, variables: { id, last: 50 } });
    expect(cached?.conversation.branch.edges.map((e) => e.node.id)).toEqual(path);
    expect(cached?.conversation.branch.edges.some((e) => e.node.content.startsWith('abandoned'))).toBe(false);
    client.stop();
  });

  it('fetchMore with `before` prepends the older page', async () => {
    const bob = await register('bob-paging@example.com');
    const { id, path } = await seedBranch(bob.token, bob.userId, 30);
    const client = apollo(bob.token);
    const watched = client.watchQuery<BranchPage>({ query: BRANCH_PAGE, variables: { id, last: 10 } });
    const first = await firstValueFrom(watched.pipe(filter((r) => r.dataState === 'complete')));
    expect(first.data?.conversation.branch.edges.map((e) => e.node.id)).toEqual(path.slice(20));
    await watched.fetchMore({ variables: { before: first.data?.conversation.branch.pageInfo.startCursor } });
    const merged = client.cache.readQuery<BranchPage>({ query: BRANCH_PAGE, variables: { id, last: 10 } });
    expect(merged?.conversation.branch.edges.map((e) => e.node.id)).toEqual(path.slice(10));
    client.stop();
  });

  it('pages from the root with first/after, and messages/conversations/users page backward too', async () => {
    const cy = await register('cy-paging@example.com');
    const { id, path } = await seedBranch(cy.token, cy.userId, 12);
    const q =
      'query($id: ID!, $first: Int, $after: String) { conversation(id: $id) { branch(first: $first, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } }';
    const one = await raw<{
      conversation: { branch: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    }>(cy.token, q, { id, first: 5 });
    expect(one.data?.conversation.branch.edges.map((e) => e.node.id)).toEqual(path.slice(0, 5));
    const two = await raw<{ conversation: { branch: { edges: Array<{ node: { id: string } }> } } }>(cy.token, q, {
      id,
      first: 5,
      after: one.data?.conversation.branch.pageInfo.endCursor,
    });
    expect(two.data?.conversation.branch.edges.map((e) => e.node.id)).toEqual(path.slice(5, 10));

    // The whole tree, newest 3 (both branches at the two deepest levels), oldest first.
    const treeQuery =
      'query($id: ID!, $before: String) { conversation(id: $id) { messages(last: 3, before: $before) { totalCount edges { node { content } } pageInfo { hasPreviousPage hasNextPage startCursor } } } }';
    type Tree = {
      conversation: {
        messages: {
          totalCount: number;
          edges: Array<{ node: { content: string } }>;
          pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string };
        };
      };
    };
    const tree = await raw<Tree>(cy.token, treeQuery, { id });
    expect(tree.data?.conversation.messages.totalCount).toBe(24);
    expect(tree.data?.conversation.messages.edges.map((e) => e.node.content)).toEqual(['m10', 'abandoned 11', 'm11']);
    expect(tree.data?.conversation.messages.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const older = await raw<Tree>(cy.token, treeQuery, { id, before: tree.data?.conversation.messages.pageInfo.startCursor });
    expect(older.data?.conversation.messages.edges.map((e) => e.node.content)).toEqual(['abandoned 9', 'm9', 'abandoned 10']);
    expect(older.data?.conversation.messages.pageInfo.hasNextPage).toBe(true);
    const mine = await raw<{ me: { conversations: { totalCount: number; edges: Array<{ node: { id: string } }> } } }>(
      cy.token,
      '{ me { conversations(last: 1) { totalCount edges { node { id } } } } }',
    );
    expect(mine.data?.me.conversations).toEqual({ totalCount: 1, edges: [{ node: { id } }] });
  });

  describe('bad paging input is BAD_USER_INPUT naming the argument', () => {
    let dee: { token: string; userId: string };
    let id: string;
    let otherCursor: string;
    beforeAll(async () => {
      dee = await register('dee-paging@example.com');
      id = (await seedBranch(dee.token, dee.userId, 4)).id;
      const other = await seedBranch(dee.token, dee.userId, 4);
      const page = await raw<{ conversation: { branch: { pageInfo: { startCursor: string } } } }>(
        dee.token,
        'query($id: ID!) { conversation(id: $id) { branch(last: 2) { pageInfo { startCursor } } } }',
        { id: other.id },
      );
      otherCursor = page.data?.conversation.branch.pageInfo.startCursor as string;
    });

    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['branch: first and last', 'branch(first: 2, last: 2)', {}, 'last'],
      ['branch: last over the max', 'branch(last: 201)', {}, 'last'],
      ['branch: first negative', 'branch(first: -1)', {}, 'first'],
      ['branch: malformed before', 'branch(before: "garbage")', {}, 'before'],
      ['branch: malformed after', 'branch(after: "garbage")', {}, 'after'],
      ['messages: first and last', 'messages(first: 1, last: 1)', {}, 'last'],
      ['messages: first over the max', 'messages(first: 201)', {}, 'first'],
      ['messages: malformed before', 'messages(last: 2, before: "garbage")', {}, 'before'],
      ['messages: malformed after', 'messages(after: "!!")', {}, 'after'],
    ];
    it.each(cases)('%s', async (_name, field, _vars, argument) => {
      const res = await raw(dee.token, `query($id: ID!) { conversation(id: $id) { ${field} { edges { cursor } } } }`, { id });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: argument });
    });

    it('branch: a cursor of another conversation', async () => {
      const res = await raw(
        dee.token,
        'query($id: ID!, $b: String) { conversation(id: $id) { branch(last: 2, before: $b) { edges { cursor } } } }',
        { id, b: otherCursor },
      );
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
    });

    it.each([
      ['conversations(first: 1, last: 1)', 'last'],
      ['conversations(last: 101)', 'last'],
      ['conversations(before: "garbage")', 'before'],
    ])('User.%s', async (field, argument) => {
      const res = await raw(dee.token, `{ me { ${field} { edges { cursor } } } }`);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: argument });
    });
  });
});

describe('mutations a normalized cache can apply without refetching', () => {
  const LIST = gql`
    query MyConversations {
      me {
        id
        conversations(first: 20) {
          edges {
            node {
              id
              title
            }
          }
        }
      }
    }
  `;
  interface List {
    me: { id: string; conversations: { edges: Array<{ node: { id: string; title: string } }> } };
  }

  it('deleteConversation names the deleted id (evicted from the cache) and the owner whose count changed', async () => {
    const eve = await register('eve-cache@example.com');
    const client = apollo(eve.token);
    const keep = (
      await raw<{ createConversation: { id: string } }>(eve.token, 'mutation { createConversation(input: { title: "keep" }) { id } }')
    ).data?.createConversation.id;
    const doomed = (await seedBranch(eve.token, eve.userId, 3)).id;
    const before = await client.query<List>({ query: LIST });
    expect(before.data?.me.conversations.edges.map((e) => e.node.id).sort()).toEqual([keep, doomed].sort());

    const deleted = await client.mutate<{
      deleteConversation: {
        deletedConversationId: string;
        deletedMessageCount: number;
        owner: { id: string; conversations: { totalCount: number } };
      };
    }>({
      mutation: gql`
        mutation Delete($id: ID!) {
          deleteConversation(id: $id) {
            deletedConversationId
            deletedMessageCount
            owner {
              id
              conversations(first: 0) {
                totalCount
              }
            }
          }
        }
      `,
      variables: { id: doomed },
      // What an app does with the payload: drop the edge from its owner's list, evict the conversation.
      update(cache, { data }) {
        const payload = data?.deleteConversation;
        if (!payload) return;
        cache.modify({
          id: cache.identify({ __typename: 'User', id: payload.owner.id }),
          fields: {
            // Every cached `conversations(...)` of the owner; a page without edges (first: 0) stays as is.
            conversations: (existing, { readField }) => {
              const page = existing as { edges?: Array<{ node: Reference }> };
              return page.edges
                ? { ...page, edges: page.edges.filter((edge) => readField('id', edge.node) !== payload.deletedConversationId) }
                : existing;
            },
          },
        });
        cache.evict({ id: cache.identify({ __typename: 'Conversation', id: payload.deletedConversationId }) });
        cache.gc();
      },
    });
    expect(deleted.data?.deleteConversation).toMatchObject({
      deletedConversationId: doomed,
      deletedMessageCount: 6,
      owner: { id: eve.userId, conversations: { totalCount: 1 } },
    });
    // Without a refetch: the cached list no longer holds the conversation.
    const after = client.cache.readQuery<List>({ query: LIST });
    expect(after?.me.conversations.edges.map((e) => e.node.id)).toEqual([keep]);
    client.stop();
  });

  it('revokeShare and revokeApiKey name what they ended', async () => {
    const fay = await register('fay-cache@example.com');
    const { id } = await seedBranch(fay.token, fay.userId, 2);
    const share = (
      await raw<{ shareConversation: { id: string; shareId: string } }>(
        fay.token,
        'mutation($id: ID!) { shareConversation(id: $id) { id shareId } }',
        { id },
      )
    ).data?.shareConversation;
    expect(share?.id).toBe(share?.shareId);
    const revoked = await raw<{ revokeShare: unknown }>(
      fay.token,
      'mutation($s: ID!) { revokeShare(shareId: $s) { shareId revoked conversation { id } } }',
      { s: share?.shareId },
    );
    expect(revoked.data?.revokeShare).toEqual({ shareId: share?.shareId, revoked: true, conversation: { id } });

    const key = (
      await raw<{ createApiKey: { apiKey: { id: string } } }>(
        fay.token,
        'mutation { createApiKey(input: { name: "ci" }) { apiKey { id } } }',
      )
    ).data?.createApiKey.apiKey.id;
    const gone = await raw<{ revokeApiKey: unknown }>(
      fay.token,
      'mutation($id: ID!) { revokeApiKey(id: $id) { revokedApiKeyId user { id apiKeys { id } } } }',
      { id: key },
    );
    expect(gone.data?.revokeApiKey).toEqual({ revokedApiKeyId: key, user: { id: fay.userId, apiKeys: [] } });
  });

  const BRANCH_SIBLINGS = gql`
    query Siblings($id: ID!) {
      conversation(id: $id) {
        id
        branch(last: 10) {
          edges {
            node {
              id
              siblingIndex
              siblingCount
            }
          }
        }
      }
    }
  `;
  interface Siblings {
    conversation: { branch: { edges: Array<{ node: { id: string; siblingIndex: number; siblingCount: number } }> } };
  }
  const countOf = (data: Siblings | null | undefined, messageId: string): number | undefined =>
    data?.conversation.branch.edges.find((e) => e.node.id === messageId)?.node.siblingCount;

  it.each([
    [
      'editMessage',
      4,
      'mutation Edit($m: ID!) { editMessage(input: { messageId: $m, content: "edited" }) { original { id siblingCount } userMessage { id siblingIndex siblingCount } } }',
    ],
    [
      'regenerateMessage',
      5,
      'mutation Regenerate($m: ID!) { regenerateMessage(messageId: $m) { original { id siblingCount } assistantMessage { id siblingIndex siblingCount } } }',
    ],
  ] as const)('%s returns the original with its new siblingCount, which updates the cached branch', async (name, depth, mutation) => {
    const gus = await register(`gus-${name}@example.com`);
    const { id, path } = await seedBranch(gus.token, gus.userId, 6);
    const original = path[depth] as string;
    const client = apollo(gus.token);
    const before = await client.query<Siblings>({ query: BRANCH_SIBLINGS, variables: { id } });
    // The seed gives every message one abandoned sibling.
    expect(countOf(before.data, original)).toBe(2);
    const result = await client.mutate<Record<string, { original: { id: string; siblingCount: number } }>>({
      mutation: gql(mutation),
      variables: { m: original },
    });
    expect(result.data?.[name]?.original).toEqual({ __typename: 'Message', id: original, siblingCount: 3 });
    const cached = client.cache.readQuery<Siblings>({ query: BRANCH_SIBLINGS, variables: { id } });
    expect(countOf(cached, original)).toBe(3);
    client.stop();
  });
});

describe('fields forbidden to other users', () => {
  it("asking for another user's private fields nulls only those fields, not the user", async () => {
    const ida = await register('ida-private@example.com');
    const jon = await register('jon-private@example.com');
    const res = await raw<{ user: Record<string, unknown> | null }>(
      jon.token,
      'query($id: ID!) { user(id: $id) { id name email role emailVerified apiKeys { id } conversations { totalCount } } }',
      { id: ida.userId },
    );
    expect(res.data?.user).toEqual({
      id: ida.userId,
      name: 'ida-private',
      email: null,
      role: null,
      emailVerified: null,
      apiKeys: null,
      conversations: null,
    });
    const refused = (res.errors ?? []).map((e) => [(e as { path?: string[] }).path?.join('.'), e.extensions?.code]).sort();
    expect(refused).toEqual([
      ['user.apiKeys', 'FORBIDDEN'],
      ['user.conversations', 'FORBIDDEN'],
      ['user.email', 'FORBIDDEN'],
      ['user.emailVerified', 'FORBIDDEN'],
      ['user.role', 'FORBIDDEN'],
    ]);
    // The user themself still reads everything.
    const own = await raw<{ me: Record<string, unknown> }>(ida.token, '{ me { email role } }');
    expect(own.data?.me).toEqual({ email: 'ida-private@example.com', role: expect.stringMatching(/^(USER|ADMIN)$/) });
  });
});

describe('the schema clients introspect through the router', () => {
  it('names the DateTime specification and describes fields', async () => {
    const res = await raw<{
      dateTime: { specifiedByURL: string | null };
      message: { fields: Array<{ name: string; description: string | null }> };
    }>(
      undefined,
      '{ dateTime: __type(name: "DateTime") { specifiedByURL } message: __type(name: "Message") { fields { name description } } }',
    );
    expect(res.data?.dateTime.specifiedByURL).toBe('https://scalars.graphql.org/andimarek/date-time');
    expect(res.data?.message.fields.filter((f) => !f.description)).toEqual([]);
  });
});
