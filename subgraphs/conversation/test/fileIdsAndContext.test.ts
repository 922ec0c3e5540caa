import { ConfigError } from '@chatgraph/kit';
import { aiGenerationV1, fileFileV1, type EventEnvelope } from '@chatgraph/schema';
import { attachableFilesSpec } from '../src/attachableFiles';
import { loadConversationConfig } from '../src/config';
import {
  answer,
  codeOf,
  collectEvents,
  eventually,
  ok,
  send,
  startConversation,
  TURN_FIELDS,
  userPrincipal,
  type Harness,
  type SentTurn,
} from './harness';

const ada = userPrincipal('user-ada');
/** Ten distinct ids of 64 characters (the most a message may attach, at the longest). */
const tenIds = Array.from({ length: 10 }, (_, i) => `${i}`.padStart(64, 'f'));
const SECRET = 'a-secret-that-is-long-enough-0123456789';

interface RequestedPayload {
  model: string;
  messages: Array<{ role: string; content: string; fileIds?: string[] }>;
  droppedMessages: number;
  estimatedPromptTokens: number;
}

describe('fileIds and per-model context windows', () => {
  let h: Harness;
  let events: Array<{ topic: string; key: string; event: EventEnvelope }>;

  beforeAll(async () => {
    // `tiny` leaves 1280 - 1024 = 256 tokens of history; `local-demo` 8192 - 1024; unknown models CONTEXT_TOKEN_BUDGET.
    h = await startConversation({
      env: {
        MODEL_CONTEXT_WINDOWS: '{"local-demo": 8192, "tiny": 1280}',
        CONTEXT_REPLY_RESERVE_TOKENS: '1024',
        CONTEXT_TOKEN_BUDGET: '4000',
      },
    });
    events = await collectEvents(h, [aiGenerationV1.topic]);
    // The ids the accepted turns attach are ada's READY files (attachableFiles.ts refuses any other).
    const ready = ['file-a', 'file-b', 'file-x', 'file-y', ...tenIds];
    await h.bus.publish(
      fileFileV1.topic,
      ready.map((fileId) => ({
        key: fileId,
        event: fileFileV1.create(
          'file.processed',
          { fileId, ownerId: 'user-ada' },
          {
            filename: `${fileId.slice(0, 8)}.txt`,
            mimeType: 'text/plain',
            bytes: 5,
            purpose: 'MESSAGE_ATTACHMENT',
            text: 'hello',
            textTruncated: false,
            chunkCount: 1,
          },
        ),
      })),
    );
    const files = h.store.collection(attachableFilesSpec);
    await eventually(
      () => files.count({ _id: { $in: ready }, status: 'READY' }),
      (n) => n === ready.length,
    );
  }, 30_000);
  afterAll(() => h?.dispose());

  const requestFor = async (assistantMessageId: string): Promise<RequestedPayload> => {
    const found = await eventually(
      async () => {
        await h.conversation.relay.drain();
        return events.find((e) => e.event.type === 'generation.requested' && e.event.subject.messageId === assistantMessageId);
      },
      (e) => e !== undefined,
    );
    if (!found) throw new Error(`no generation.requested for ${assistantMessageId}`);
    return found.event.payload as RequestedPayload;
  };

  const branchOf = async (id: string) =>
    ok<{ currentBranch: Array<{ id: string; role: string; fileIds: string[] }> }>(
      await h.gql(ada, 'query($id: ID!) { conversation(id: $id) { currentBranch { id role fileIds } } }', { id }),
      'conversation',
    ).currentBranch;

  describe('fileIds', () => {
    it('stores them on the user message, exposes them, and sends them with the generation request', async () => {
      const turn = await send(h, ada, { content: 'What is in these files?', fileIds: ['file-a', 'file-b'] });
      const branch = await branchOf(turn.conversation.id);
      expect(branch.map((m) => [m.role, m.fileIds])).toEqual([
        ['USER', ['file-a', 'file-b']],
        ['ASSISTANT', []],
      ]);
      expect((await h.collections.messages.findById(turn.userMessage.id))?.fileIds).toEqual(['file-a', 'file-b']);

      const payload = await requestFor(turn.assistantMessage.id);
      expect(payload.messages).toEqual([{ role: 'USER', content: 'What is in these files?', fileIds: ['file-a', 'file-b'] }]);

      // A message without files: [] in the API, no fileIds in the event (older consumers see the old shape).
      await answer(h, 'user-ada', turn, 'Two files.');
      const next = await send(h, ada, { conversationId: turn.conversation.id, content: 'Thanks' });
      expect((await branchOf(turn.conversation.id))[2]?.fileIds).toEqual([]);
      const nextPayload = await requestFor(next.assistantMessage.id);
      expect(nextPayload.messages.map((m) => m.fileIds)).toEqual([['file-a', 'file-b'], undefined, undefined]);
      expect(nextPayload.messages[2]).not.toHaveProperty('fileIds');
    });

    it.each([
      ['more than 10', Array.from({ length: 11 }, (_, i) => `file-${i}`)],
      ['an empty id', ['file-a', '']],
      ['a blank id', ['  ']],
      ['an id over 64 characters', ['f'.repeat(65)]],
      ['duplicates', ['file-a', 'file-b', 'file-a']],
    ])('refuses %s with BAD_USER_INPUT naming fileIds, writing nothing', async (_label, fileIds) => {
      const first = await send(h, ada, { content: 'Start' });
      await answer(h, 'user-ada', first, 'Ok');
      const messagesBefore = await h.collections.messages.count({});
      const conversationsBefore = await h.collections.conversations.count({});

      const refusals = [
        await h.gql(ada, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { content: 'new conversation', fileIds },
        }),
        await h.gql(ada, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { conversationId: first.conversation.id, content: 'next', fileIds },
        }),
        await h.gql(ada, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { messageId: first.userMessage.id, content: 'edited', fileIds },
        }),
      ];
      for (const res of refusals) {
        expect(codeOf(res)).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0]?.extensions?.field).toBe('fileIds');
      }
      expect(await h.collections.messages.count({})).toBe(messagesBefore);
      expect(await h.collections.conversations.count({})).toBe(conversationsBefore);
    });

    it('accepts exactly 10 ids of 64 characters', async () => {
      const fileIds = tenIds;
      const turn = await send(h, ada, { content: 'Ten files', fileIds });
      expect((await branchOf(turn.conversation.id))[0]?.fileIds).toEqual(fileIds);
    });

    it('sets them on an edit (not inherited from the original) and copies them on fork', async () => {
      const first = await send(h, ada, { content: 'Read this', fileIds: ['file-x'] });
      await answer(h, 'user-ada', first, 'Read.');
      const edited = ok<SentTurn>(
        await h.gql(ada, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { messageId: first.userMessage.id, content: 'Read that', fileIds: ['file-y'] },
        }),
        'editMessage',
      );
      expect((await requestFor(edited.assistantMessage.id)).messages).toEqual([
        { role: 'USER', content: 'Read that', fileIds: ['file-y'] },
      ]);
      const plainEdit = ok<SentTurn>(
        await h.gql(ada, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { messageId: first.userMessage.id, content: 'Nothing attached' },
        }),
        'editMessage',
      );
      expect((await h.collections.messages.findById(plainEdit.userMessage.id))?.fileIds).toEqual([]);

      const fork = ok<{ id: string }>(
        await h.gql(ada, 'mutation($id: ID!) { forkConversation(messageId: $id) { id } }', { id: first.assistantMessage.id }),
        'forkConversation',
      );
      expect(fork.id).not.toBe(first.conversation.id);
      expect((await branchOf(fork.id)).map((m) => m.fileIds)).toEqual([['file-x'], []]);
    });
  });

  describe('context window per model', () => {
    it('trims the history to the model window minus the reply reserve, and to CONTEXT_TOKEN_BUDGET for unknown models', async () => {
      // Each message of 400 characters is ~104 estimated tokens.
      const long = (tag: string) => `${tag} ${'x'.repeat(396)}`;
      const q1 = await send(h, ada, { content: long('q1') });
      await answer(h, 'user-ada', q1, long('a1'));
      const q2 = await send(h, ada, { conversationId: q1.conversation.id, content: long('q2') });
      await answer(h, 'user-ada', q2, long('a2'));

      // The default model (local-demo, 8192 - 1024 tokens) keeps the whole branch.
      const roomy = await send(h, ada, { conversationId: q1.conversation.id, content: long('q3') });
      const roomyPayload = await requestFor(roomy.assistantMessage.id);
      expect(roomyPayload.model).toBe('local-demo');
      expect(roomyPayload.droppedMessages).toBe(0);
      expect(roomyPayload.messages).toHaveLength(5);

      // The same branch for `tiny` (1280 - 1024 = 256 tokens): only the newest turns fit.
      const small = ok<SentTurn>(
        await h.gql(ada, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { messageId: roomy.userMessage.id, content: long('q3'), model: 'tiny' },
        }),
        'editMessage',
      );
      const smallPayload = await requestFor(small.assistantMessage.id);
      expect(smallPayload.model).toBe('tiny');
      expect(smallPayload.droppedMessages).toBeGreaterThan(roomyPayload.droppedMessages);
      expect(smallPayload.messages.map((m) => m.content.slice(0, 2))).toEqual(['a2', 'q3']);
      expect(smallPayload.estimatedPromptTokens).toBeLessThanOrEqual(256);

      // A model missing from MODEL_CONTEXT_WINDOWS gets CONTEXT_TOKEN_BUDGET (4000 here): everything fits.
      const unknown = ok<SentTurn>(
        await h.gql(ada, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { messageId: roomy.userMessage.id, content: long('q3'), model: 'somewhere-else' },
        }),
        'editMessage',
      );
      expect((await requestFor(unknown.assistantMessage.id)).droppedMessages).toBe(0);
    });
  });
});

describe('MODEL_CONTEXT_WINDOWS configuration', () => {
  const load = (env: Record<string, string>) => loadConversationConfig({ INTERNAL_SIGNING_SECRET: SECRET, ...env });
  const problemOf = (env: Record<string, string>): string => {
    try {
      load(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('defaults to local-demo with 8192 tokens and a 1024-token reply reserve', () => {
    expect(load({})).toMatchObject({ MODEL_CONTEXT_WINDOWS: { 'local-demo': 8192 }, CONTEXT_REPLY_RESERVE_TOKENS: 1024 });
    expect(load({ MODEL_CONTEXT_WINDOWS: '{"gpt-4o": 128000, "small": 4096}' }).MODEL_CONTEXT_WINDOWS).toEqual({
      'gpt-4o': 128000,
      small: 4096,
    });
  });

  it.each([
    ['not JSON', '{local-demo: 8192}', /MODEL_CONTEXT_WINDOWS must be a JSON object/],
    ['an array', '[8192]', /MODEL_CONTEXT_WINDOWS must be a JSON object/],
    ['a non-integer window', '{"m": 1.5}', /MODEL_CONTEXT_WINDOWS has an invalid window for "m"/],
    ['a string window', '{"m": "8192"}', /MODEL_CONTEXT_WINDOWS has an invalid window for "m"/],
    ['a tiny window', '{"m": 10}', /MODEL_CONTEXT_WINDOWS has an invalid window for "m"/],
    ['an empty model name', '{"": 8192}', /MODEL_CONTEXT_WINDOWS has an invalid model name/],
  ])('refuses %s at start-up', (_label, raw, message) => {
    expect(problemOf({ MODEL_CONTEXT_WINDOWS: raw })).toMatch(message);
  });

  it('refuses a reply reserve that leaves a window almost no history', () => {
    expect(problemOf({ MODEL_CONTEXT_WINDOWS: '{"m": 2048}', CONTEXT_REPLY_RESERVE_TOKENS: '2000' })).toMatch(
      /MODEL_CONTEXT_WINDOWS gives "m" 2048 tokens[\s\S]*CONTEXT_REPLY_RESERVE_TOKENS=2000/,
    );
  });
});
