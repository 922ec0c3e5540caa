import { newId, type Principal } from '@chatgraph/kit';
import { aiGenerationV1, assistantAssistantV1, type AssistantEvent, type AssistantState, type EventEnvelope } from '@chatgraph/schema';
import { assistantsSpec } from '../../src/assistants';
import {
  answer,
  codeOf,
  collectEvents,
  eventually,
  ok,
  send,
  TURN_FIELDS,
  userPrincipal,
  type Harness,
  type SentTurn,
  type Target,
} from '../harness';

/** What `generation.requested` carries for an assistant's thread. */
interface Requested {
  model: string;
  messages: Array<{ role: string; content: string }>;
  temperature?: number;
  topP?: number;
  assistantId?: string;
  assistantVersion?: number;
}

/**
 * Conversation suite: assistants' threads. The assistants read model is fed only by
 * `assistant.assistant.v1` events, published here through the contract's `create` as the assistant
 * service's outbox would. Runs on any `Target` (embedded or FerretDB + Kafka).
 */
export function describeAssistants(target: Target): void {
  const ada = userPrincipal('user-ada');
  const bob = userPrincipal('user-bob');
  const cyd = userPrincipal('user-cyd');
  const admin = userPrincipal('user-root', 'ADMIN');
  let h: Harness;
  let generations: Array<{ topic: string; key: string; event: EventEnvelope }>;

  beforeAll(async () => {
    h = await target.start();
    generations = await collectEvents(h, [aiGenerationV1.topic]);
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  const assistants = () => h.store.collection(assistantsSpec);

  function state(overrides: Partial<AssistantState> = {}): AssistantState {
    return {
      version: 1,
      name: 'Pirate',
      instructions: 'Answer like a pirate.',
      model: 'pirate-model',
      temperature: 0.3,
      topP: 0.9,
      tools: [],
      fileIds: [],
      visibility: 'PRIVATE',
      sharedWith: [],
      ...overrides,
    };
  }

  const created = (id: string, ownerId: string, s: AssistantState): AssistantEvent =>
    assistantAssistantV1.create('assistant.created', { assistantId: id, ownerId }, s);
  const updated = (id: string, ownerId: string, s: AssistantState): AssistantEvent =>
    assistantAssistantV1.create('assistant.updated', { assistantId: id, ownerId }, s);
  const deleted = (id: string, ownerId: string, version: number): AssistantEvent =>
    assistantAssistantV1.create('assistant.deleted', { assistantId: id, ownerId }, { version });

  /** Publishes events under `key` (the assistant id unless given: one key, one partition, in order). */
  async function publish(events: AssistantEvent[], key?: string): Promise<void> {
    await h.bus.publish(
      assistantAssistantV1.topic,
      events.map((event) => ({ key: key ?? event.subject.assistantId, event })),
    );
  }

  /** Waits until every event published so far under `key` was handled (a sentinel behind them is stored). */
  async function settle(key: string): Promise<void> {
    const sentinel = `sentinel-${newId()}`;
    await publish([created(sentinel, 'nobody', state())], key);
    const seen = await eventually(
      () => assistants().findById(sentinel),
      (doc) => doc !== null,
      target.tries,
    );
    if (!seen) throw new Error('the sentinel assistant event was not consumed');
  }

  /** An assistant of `ownerId` through `events`, stored in the read model. */
  async function assistantThrough(events: (id: string) => AssistantEvent[]): Promise<string> {
    const id = `asst-${newId()}`;
    await publish(events(id));
    await settle(id);
    return id;
  }

  const requestFor = async (assistantMessageId: string): Promise<Requested> => {
    const found = await eventually(
      async () => {
        await h.conversation.relay.drain();
        return generations.find((e) => e.event.type === 'generation.requested' && e.event.subject.messageId === assistantMessageId);
      },
      (e) => e !== undefined,
      target.tries,
    );
    if (!found) throw new Error(`no generation.requested for ${assistantMessageId}`);
    return found.event.payload as Requested;
  };

  const counts = async () => ({
    conversations: await h.collections.conversations.count({}),
    messages: await h.collections.messages.count({}),
  });

  const startThread = (who: Principal, input: Record<string, unknown>) =>
    h.gql(who, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`, { input });

  describe('starting a thread', () => {
    it("sends the instructions as the SYSTEM message with the assistant's model, parameters and version, and records them", async () => {
      const id = await assistantThrough((a) => [created(a, 'user-ada', state())]);
      const turn = await send(h, ada, { content: 'Hello', assistantId: id });
      const request = await requestFor(turn.assistantMessage.id);
      expect(request).toMatchObject({
        model: 'pirate-model',
        temperature: 0.3,
        topP: 0.9,
        assistantId: id,
        assistantVersion: 1,
        messages: [
          { role: 'SYSTEM', content: 'Answer like a pirate.' },
          { role: 'USER', content: 'Hello' },
        ],
      });
      const read = ok<{
        assistantId: string;
        assistant: { id: string };
        currentBranch: Array<{ role: string; assistantVersion: number | null }>;
      }>(
        await h.gql(
          ada,
          'query($id: ID!) { conversation(id: $id) { assistantId assistant { id } currentBranch { role assistantVersion } } }',
          {
            id: turn.conversation.id,
          },
        ),
        'conversation',
      );
      expect(read).toEqual({
        assistantId: id,
        assistant: { id },
        currentBranch: [
          { role: 'USER', assistantVersion: null },
          { role: 'ASSISTANT', assistantVersion: 1 },
        ],
      });
    });

    it("passes the assistant's tools and its knowledge files (with their owner) to ai-gateway's tool loop", async () => {
      const id = await assistantThrough((a) => [
        created(a, 'user-ada', state({ tools: ['file_search'], fileIds: ['file-k1', 'file-k2'] })),
      ]);
      const turn = await send(h, ada, { content: 'search: refunds', assistantId: id });
      const request = await requestFor(turn.assistantMessage.id);
      expect(request).toMatchObject({ tools: ['file_search'], knowledge: { ownerId: 'user-ada', fileIds: ['file-k1', 'file-k2'] } });
      // Without tools or files, neither is sent.
      const bare = await assistantThrough((a) => [created(a, 'user-ada', state())]);
      const plain = await send(h, ada, { content: 'Hi', assistantId: bare });
      const plainRequest = await requestFor(plain.assistantMessage.id);
      expect(plainRequest).not.toHaveProperty('tools');
      expect(plainRequest).not.toHaveProperty('knowledge');
    });

    it('leaves the parameters out when the assistant has none, and a plain conversation has no assistant', async () => {
      const id = await assistantThrough((a) => [created(a, 'user-ada', state({ temperature: null, topP: null, instructions: '' }))]);
      const turn = await send(h, ada, { content: 'Hi', assistantId: id });
      const request = await requestFor(turn.assistantMessage.id);
      expect(request).not.toHaveProperty('temperature');
      expect(request).not.toHaveProperty('topP');
      expect(request.messages).toEqual([{ role: 'USER', content: 'Hi' }]);
      const plain = await send(h, ada, { content: 'Plain' });
      const plainRequest = await requestFor(plain.assistantMessage.id);
      expect(plainRequest).not.toHaveProperty('assistantId');
      const read = ok<{ assistant: unknown }>(
        await h.gql(ada, 'query($id: ID!) { conversation(id: $id) { assistant { id } } }', { id: plain.conversation.id }),
        'conversation',
      );
      expect(read.assistant).toBeNull();
    });

    it.each<[string, (ownerOther: string) => Promise<string>]>([
      ['an unknown assistant', async () => `asst-${newId()}`],
      ["another user's private assistant", (other) => assistantThrough((a) => [created(a, other, state())])],
      [
        'a SHARED assistant the caller is not named in',
        (other) => assistantThrough((a) => [created(a, other, state({ visibility: 'SHARED', sharedWith: ['user-cyd'] }))]),
      ],
      ["the caller's own deleted assistant", () => assistantThrough((a) => [created(a, 'user-ada', state()), deleted(a, 'user-ada', 1)])],
    ])('refuses %s with BAD_USER_INPUT on assistantId, the same message, and writes nothing', async (_label, make) => {
      const id = await make('user-bob');
      const before = await counts();
      const attempts = [
        await startThread(ada, { content: 'Hello', assistantId: id }),
        await h.gql(ada, 'mutation($input: CreateConversationInput) { createConversation(input: $input) { id } }', {
          input: { assistantId: id },
        }),
      ];
      for (const res of attempts) {
        expect(codeOf(res)).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0]?.extensions).toMatchObject({ field: 'assistantId' });
        expect(res.errors?.[0]?.message).toBe(`assistant '${id}' is unknown`);
      }
      expect(await counts()).toEqual(before);
    });

    it('lets the named users of a SHARED assistant, anyone with a PUBLIC one and an ADMIN with any use it', async () => {
      const shared = await assistantThrough((a) => [created(a, 'user-ada', state({ visibility: 'SHARED', sharedWith: ['user-bob'] }))]);
      const turn = await send(h, bob, { content: 'Ahoy', assistantId: shared });
      expect((await h.collections.conversations.findById(turn.conversation.id))?.assistantId).toBe(shared);
      const pub = await assistantThrough((a) => [created(a, 'user-ada', state({ visibility: 'PUBLIC' }))]);
      await send(h, cyd, { content: 'Ahoy', assistantId: pub });
      const priv = await assistantThrough((a) => [created(a, 'user-ada', state())]);
      await send(h, admin, { content: 'Ahoy', assistantId: priv });
    });

    it("refuses a model other than the assistant's (and assistantId with a conversationId), writing nothing", async () => {
      const id = await assistantThrough((a) => [created(a, 'user-ada', state())]);
      const before = await counts();
      const other = await startThread(ada, { content: 'Hello', assistantId: id, model: 'other-model' });
      expect(codeOf(other)).toBe('BAD_USER_INPUT');
      expect(other.errors?.[0]?.extensions).toMatchObject({ field: 'model' });
      const plain = await send(h, ada, { content: 'Plain' });
      await answer(h, 'user-ada', plain, 'Ok');
      const mid = await counts();
      const joined = await startThread(ada, { content: 'Hello', assistantId: id, conversationId: plain.conversation.id });
      expect(codeOf(joined)).toBe('BAD_USER_INPUT');
      expect(joined.errors?.[0]?.extensions).toMatchObject({ field: 'assistantId' });
      expect(await counts()).toEqual(mid);
      expect(mid.conversations).toBe(before.conversations + 1);
      // The assistant's own model, named explicitly, is accepted.
      await send(h, ada, { content: 'Hello', assistantId: id, model: 'pirate-model' });
    });
  });

  describe('turns of a thread', () => {
    it("uses the assistant's current settings and version on new messages, edits and regenerations", async () => {
      const id = await assistantThrough((a) => [created(a, 'user-ada', state())]);
      const first = await send(h, ada, { content: 'Hello', assistantId: id });
      await answer(h, 'user-ada', first, 'Arr');
      await publish([
        updated(id, 'user-ada', state({ version: 2, instructions: 'Answer like a poet.', model: 'poet-model', temperature: 1.2 })),
      ]);
      await settle(id);
      const next = await send(h, ada, { conversationId: first.conversation.id, content: 'Again' });
      expect(await requestFor(next.assistantMessage.id)).toMatchObject({
        model: 'poet-model',
        temperature: 1.2,
        assistantVersion: 2,
        messages: [
          { role: 'SYSTEM', content: 'Answer like a poet.' },
          { role: 'USER', content: 'Hello' },
          { role: 'ASSISTANT', content: 'Arr' },
          { role: 'USER', content: 'Again' },
        ],
      });
      expect((await h.collections.messages.findById(next.assistantMessage.id))?.assistantVersion).toBe(2);
      await answer(h, 'user-ada', next, 'Verse');
      const regenerated = ok<SentTurn>(
        await h.gql(ada, `mutation($id: ID!) { regenerateMessage(messageId: $id) { ${TURN_FIELDS} } }`, { id: first.assistantMessage.id }),
        'regenerateMessage',
      );
      expect(await requestFor(regenerated.assistantMessage.id)).toMatchObject({ model: 'poet-model', assistantVersion: 2 });
      const edited = ok<SentTurn>(
        await h.gql(ada, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { messageId: first.userMessage.id, content: 'Hello there' },
        }),
        'editMessage',
      );
      expect((await requestFor(edited.assistantMessage.id)).messages[0]).toEqual({ role: 'SYSTEM', content: 'Answer like a poet.' });
      // The first answer keeps the version it was generated with.
      expect((await h.collections.messages.findById(first.assistantMessage.id))?.assistantVersion).toBe(1);
    });

    it.each<[string, (id: string) => AssistantEvent]>([
      ['deleted', (id) => deleted(id, 'user-ada', 2)],
      ['no longer shared with the caller', (id) => updated(id, 'user-ada', state({ version: 2, visibility: 'PRIVATE', sharedWith: [] }))],
    ])('refuses new turns once the assistant is %s (FORBIDDEN, ASSISTANT_UNAVAILABLE); the thread stays readable', async (_l, change) => {
      const id = await assistantThrough((a) => [created(a, 'user-ada', state({ visibility: 'SHARED', sharedWith: ['user-bob'] }))]);
      const first = await send(h, bob, { content: 'Hello', assistantId: id });
      await answer(h, 'user-bob', first, 'Arr');
      await publish([change(id)]);
      await settle(id);
      const before = await counts();
      const attempts = [
        await h.gql(bob, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { conversationId: first.conversation.id, content: 'Again' },
        }),
        await h.gql(bob, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { messageId: first.userMessage.id, content: 'Edited' },
        }),
        await h.gql(bob, `mutation($id: ID!) { regenerateMessage(messageId: $id) { ${TURN_FIELDS} } }`, { id: first.assistantMessage.id }),
      ];
      for (const res of attempts) {
        expect(codeOf(res)).toBe('FORBIDDEN');
        expect(res.errors?.[0]?.extensions).toMatchObject({ reason: 'ASSISTANT_UNAVAILABLE', assistantId: id });
      }
      expect(await counts()).toEqual(before);
      const read = ok<{ currentBranch: Array<{ content: string }> }>(
        await h.gql(bob, 'query($id: ID!) { conversation(id: $id) { currentBranch { content } } }', { id: first.conversation.id }),
        'conversation',
      );
      expect(read.currentBranch.map((m) => m.content)).toEqual(['Hello', 'Arr']);
    });
  });

  describe('the assistants read model', () => {
    it('applies a redelivered event once and never goes back to an older version', async () => {
      const id = `asst-${newId()}`;
      const v1 = created(id, 'user-ada', state());
      const v2 = updated(id, 'user-ada', state({ version: 2, instructions: 'v2' }));
      // v2 before v1 (out of order), then both again (a redelivery).
      await publish([v2, v1, v2, v1]);
      await settle(id);
      expect(await assistants().findById(id)).toMatchObject({ version: 2, instructions: 'v2', deleted: false });
      const turn = await send(h, ada, { content: 'Hi', assistantId: id });
      expect(await requestFor(turn.assistantMessage.id)).toMatchObject({
        assistantVersion: 2,
        messages: [{ role: 'SYSTEM', content: 'v2' }, {}],
      });
    });

    it('keeps a tombstone that arrived first: late creations and updates never bring the assistant back', async () => {
      const id = `asst-${newId()}`;
      await publish([deleted(id, 'user-ada', 3)]);
      await settle(id);
      await publish([created(id, 'user-ada', state()), updated(id, 'user-ada', state({ version: 4 }))]);
      await settle(id);
      expect(await assistants().findById(id)).toMatchObject({ deleted: true, version: 3, instructions: '', visibility: null });
      expect(codeOf(await startThread(ada, { content: 'Hi', assistantId: id }))).toBe('BAD_USER_INPUT');
    });
  });
}
