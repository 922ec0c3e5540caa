import { newId } from '@chatgraph/kit';
import { startTempStore, type TempStore } from '@chatgraph/test-support';
import { GenerationAdmission } from '../src/admission';
import { conversationCollections, type ConversationCollections, type MessageDoc, type MessageStatus } from '../src/store';
import { codeOf, embedded, idsOf, publishResult, eventually, send, userPrincipal, type Harness } from './harness';

/**
 * Admission of new generations (issue 10, "one user must not starve everyone"): a per-user cap on
 * open answers and a bound on the global backlog, both refusing before anything is written.
 */

const SEND = 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }';

describe('through the subgraph', () => {
  const flood = userPrincipal('user-flood');
  const other = userPrincipal('user-other');
  let h: Harness;

  beforeEach(async () => {
    h = await embedded.start({ MAX_OPEN_GENERATIONS_PER_USER: '3' });
  });
  afterEach(() => h.dispose());

  const counts = async () => ({
    conversations: await h.collections.conversations.count({}),
    messages: await h.collections.messages.count({}),
  });

  it('admits exactly the cap of concurrent sends from one user, refuses the rest RATE_LIMITED with nothing written, and still admits another user', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => h.gql(flood, SEND, { i: { content: `flood ${i}` } })));
    const refused = results.filter((res) => codeOf(res) === 'RATE_LIMITED');
    expect(results.filter((res) => !res.errors).length).toBe(3);
    expect(refused.length).toBe(9);
    expect(refused[0]?.errors?.[0]?.extensions).toMatchObject({
      reason: 'TOO_MANY_OPEN_GENERATIONS',
      limit: 3,
      retryAfterSeconds: expect.any(Number) as unknown,
    });
    // Three turns: three conversations, six messages; the refused ones wrote nothing.
    expect(await counts()).toEqual({ conversations: 3, messages: 6 });
    expect((await h.gql(other, SEND, { i: { content: 'my turn' } })).errors).toBeUndefined();
  });

  it('admits the user again once one of their answers is finished', async () => {
    const first = await send(h, flood, { content: 'one' });
    await send(h, flood, { content: 'two' });
    await send(h, flood, { content: 'three' });
    expect(codeOf(await h.gql(flood, SEND, { i: { content: 'four' } }))).toBe('RATE_LIMITED');
    await publishResult(h, flood.userId, idsOf(first), { content: 'done' });
    const again = await eventually(
      () => h.gql(flood, SEND, { i: { content: 'four' } }),
      (res) => !res.errors,
      h.tries,
    );
    expect(again.errors).toBeUndefined();
  });

  it('refuses editMessage and regenerateMessage beyond the cap too', async () => {
    const done = await send(h, flood, { content: 'answered' });
    await publishResult(h, flood.userId, idsOf(done), { content: 'an answer' });
    await eventually(
      () => h.collections.messages.findById(done.assistantMessage.id),
      (m) => m?.status === 'COMPLETE',
      h.tries,
    );
    for (const content of ['a', 'b', 'c']) await send(h, flood, { content });
    const before = await counts();
    const edit = await h.gql(flood, 'mutation($i: EditMessageInput!) { editMessage(input: $i) { streamId } }', {
      i: { messageId: done.userMessage.id, content: 'edited' },
    });
    const regenerate = await h.gql(flood, 'mutation($id: ID!) { regenerateMessage(messageId: $id) { streamId } }', {
      id: done.assistantMessage.id,
    });
    expect([codeOf(edit), codeOf(regenerate)]).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    expect(await counts()).toEqual(before);
  });
});

describe('GenerationAdmission', () => {
  let temp: TempStore;
  let collections: ConversationCollections;
  let clock: number;
  const now = (): Date => new Date(clock);

  beforeEach(async () => {
    temp = await startTempStore('admission-test');
    collections = conversationCollections(temp.store);
    clock = Date.UTC(2026, 0, 1);
  });
  afterEach(() => temp.dispose());

  async function answer(ownerId: string, status: MessageStatus, updatedAt = now()): Promise<MessageDoc> {
    const doc: MessageDoc = {
      _id: newId(),
      conversationId: newId(),
      ownerId,
      parentId: newId(),
      role: 'ASSISTANT',
      content: '',
      fileIds: [],
      status,
      streamId: newId(),
      model: 'local-demo',
      tokenCount: null,
      finishReason: null,
      feedback: null,
      depth: 1,
      createdAt: updatedAt,
      updatedAt,
    };
    return collections.messages.insertOne(doc);
  }

  /** The code a turn of `userId` is refused with, or 'admitted'. */
  async function outcome(admission: GenerationAdmission, userId: string): Promise<unknown> {
    try {
      await admission.admit(userId, async () => undefined);
      return 'admitted';
    } catch (error) {
      return (error as { extensions?: { code?: unknown; reason?: unknown } }).extensions?.reason;
    }
  }

  it('refuses every new turn while the backlog of PENDING answers is over the bound, counting it at most once per interval', async () => {
    const admission = new GenerationAdmission(
      collections.messages,
      { maxOpenPerUser: 100, maxPending: 2, staleAfterMs: 60_000, pendingCountTtlMs: 1000 },
      now,
    );
    await answer('u1', 'PENDING');
    await answer('u2', 'PENDING');
    await answer('u3', 'STREAMING');
    expect(await outcome(admission, 'u9')).toBe('admitted');
    await answer('u4', 'PENDING');
    // The count of a moment ago is reused...
    expect(await outcome(admission, 'u9')).toBe('admitted');
    clock += 1000;
    // ...then refreshed: three PENDING answers are over the bound of two (STREAMING ones have started).
    expect(await outcome(admission, 'u9')).toBe('GENERATION_BACKLOG');
  });

  it('no longer counts answers left open past the stale time, per user nor in the backlog', async () => {
    const admission = new GenerationAdmission(
      collections.messages,
      { maxOpenPerUser: 2, maxPending: 1, staleAfterMs: 60_000, pendingCountTtlMs: 0 },
      now,
    );
    await answer('u1', 'PENDING');
    await answer('u1', 'PENDING');
    expect(await outcome(admission, 'u1')).toBe('GENERATION_BACKLOG');
    clock += 60_001;
    expect(await outcome(admission, 'u1')).toBe('admitted');
  });

  it("serialises one user's turns, so concurrent turns see each other's writes", async () => {
    const admission = new GenerationAdmission(collections.messages, { maxOpenPerUser: 2, maxPending: 1000, staleAfterMs: 60_000 }, now);
    const turns = Array.from({ length: 5 }, () =>
      admission
        .admit('u1', () => answer('u1', 'PENDING'))
        .then(
          () => 'admitted',
          (error: { extensions?: { reason?: unknown } }) => error.extensions?.reason,
        ),
    );
    expect((await Promise.all(turns)).sort()).toEqual([
      'TOO_MANY_OPEN_GENERATIONS',
      'TOO_MANY_OPEN_GENERATIONS',
      'TOO_MANY_OPEN_GENERATIONS',
      'admitted',
      'admitted',
    ]);
  });
});
