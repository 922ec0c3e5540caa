import type { NotificationDoc } from '../src/store';
import { ANON, expectCode, ok, startNotification, userPrincipal, type Harness } from './harness';

const ada = userPrincipal('ada');
const bob = userPrincipal('bob');

const LIST = `query($first: Int, $after: String, $unreadOnly: Boolean) {
  notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
    edges { cursor node { id kind title read conversation { id } message { id } } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}`;
const COUNT = 'query { unreadNotificationCount }';
const MARK = 'mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }';
const MARK_ALL = 'mutation { markAllNotificationsRead }';

interface Page {
  edges: Array<{ cursor: string; node: { id: string; read: boolean; conversation: { id: string } | null } }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

function doc(userId: string, n: number): NotificationDoc {
  return {
    _id: `answer:${userId}-${n}`,
    userId,
    kind: 'ANSWER_COMPLETED',
    title: 'Your answer is ready',
    body: `answer ${n}`,
    read: false,
    conversationId: `c-${n}`,
    messageId: `m-${n}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
  };
}

describe('notifications of the signed-in user', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startNotification();
    await h.collections.notifications.insertMany([1, 2, 3, 4, 5].map((n) => doc('ada', n)));
    await h.collections.notifications.insertMany([1, 2].map((n) => doc('bob', n)));
  });
  afterAll(() => h.dispose());

  it('pages the caller’s notifications newest first, and only theirs', async () => {
    const first = ok<Page>(await h.gql(ada, LIST, { first: 2 }), 'notifications');
    expect(first.edges.map((e) => e.node.id)).toEqual(['answer:ada-5', 'answer:ada-4']);
    expect(first.edges[0]?.node.conversation).toEqual({ id: 'c-5' });
    expect(first.totalCount).toBe(5);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = ok<Page>(await h.gql(ada, LIST, { first: 10, after: first.pageInfo.endCursor }), 'notifications');
    expect(rest.edges.map((e) => e.node.id)).toEqual(['answer:ada-3', 'answer:ada-2', 'answer:ada-1']);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses anonymous callers, bad sizes and bad cursors', async () => {
    expectCode(await h.gql(ANON, LIST), 'UNAUTHENTICATED');
    expectCode(await h.gql(ANON, COUNT), 'UNAUTHENTICATED');
    expectCode(await h.gql(ANON, MARK_ALL), 'UNAUTHENTICATED');
    expectCode(await h.gql(ada, LIST, { first: 101 }), 'BAD_USER_INPUT');
    expectCode(await h.gql(ada, LIST, { after: 'not a cursor' }), 'BAD_USER_INPUT');
  });

  it('another user’s ids are NOT_FOUND and change nothing; bad ids are BAD_USER_INPUT', async () => {
    const mixed = await h.gql(ada, MARK, { ids: ['answer:ada-1', 'answer:bob-1'] });
    expectCode(mixed, 'NOT_FOUND');
    expect(mixed.errors?.[0]?.extensions?.id).toBe('answer:bob-1');
    expectCode(await h.gql(ada, MARK, { ids: [] }), 'BAD_USER_INPUT');
    expectCode(await h.gql(ada, MARK, { ids: ['bad id with spaces'] }), 'BAD_USER_INPUT');
    expectCode(await h.gql(ada, MARK, { ids: Array.from({ length: 101 }, (_, i) => `answer:ada-${i}`) }), 'BAD_USER_INPUT');
    expect(ok<number>(await h.gql(ada, COUNT), 'unreadNotificationCount')).toBe(5);
    expect(ok<number>(await h.gql(bob, COUNT), 'unreadNotificationCount')).toBe(2);
  });

  it('marks some read, then all; counts only those that were unread', async () => {
    expect(ok<number>(await h.gql(ada, MARK, { ids: ['answer:ada-1', 'answer:ada-2', 'answer:ada-1'] }), 'markNotificationsRead')).toBe(2);
    expect(ok<number>(await h.gql(ada, MARK, { ids: ['answer:ada-1'] }), 'markNotificationsRead')).toBe(0);
    expect(ok<number>(await h.gql(ada, COUNT), 'unreadNotificationCount')).toBe(3);
    const unread = ok<Page>(await h.gql(ada, LIST, { unreadOnly: true }), 'notifications');
    expect(unread.edges.map((e) => e.node.id)).toEqual(['answer:ada-5', 'answer:ada-4', 'answer:ada-3']);
    expect(unread.totalCount).toBe(3);
    expect(ok<number>(await h.gql(ada, MARK_ALL), 'markAllNotificationsRead')).toBe(3);
    expect(ok<number>(await h.gql(ada, COUNT), 'unreadNotificationCount')).toBe(0);
    // bob's are untouched.
    expect(ok<number>(await h.gql(bob, COUNT), 'unreadNotificationCount')).toBe(2);
  });

  it('resolves a reference only for its recipient', async () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Notification { id body } } }';
    const r = [{ __typename: 'Notification', id: 'answer:bob-2' }];
    expect(ok<unknown[]>(await h.gql(bob, query, { r }), '_entities')).toEqual([{ id: 'answer:bob-2', body: 'answer 2' }]);
    expect(ok<unknown[]>(await h.gql(ada, query, { r }), '_entities')).toEqual([null]);
    expectCode(await h.gql(ANON, query, { r }), 'UNAUTHENTICATED');
  });
});
