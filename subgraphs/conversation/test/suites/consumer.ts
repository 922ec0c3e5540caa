import { PROCESSED_EVENTS } from '@chatgraph/kit/events';
import { aiGenerationV1 } from '@chatgraph/schema';
import { CONSUMER_GROUP } from '../../src/events';
import { collectEvents, eventually, idsOf, publishResult, send, userPrincipal, type Harness, type Target } from '../harness';

/** Conversation suite: the generation-result consumer: duplicate, out-of-order and orphaned results. Runs on any `Target` (embedded or FerretDB + Kafka). */
export function describeConsumer(target: Target): void {
  const ada = userPrincipal('user-ada');
  let h: Harness;

  beforeAll(async () => {
    h = await target.start();
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  /**
   * Events of one conversation share a partition and are handled in order, so once a later
   * sentinel result (for a message that does not exist) is remembered as processed, every earlier
   * event of that conversation has been handled too.
   */
  async function settle(conversationId: string): Promise<void> {
    const sentinel = await publishResult(
      h,
      'user-ada',
      { conversationId, messageId: 'no-such-message', streamId: 'no-such-stream' },
      { content: 'sentinel' },
    );
    const processed = h.store.collection(PROCESSED_EVENTS);
    const marker = await eventually(
      () => processed.findById(`${CONSUMER_GROUP}:${sentinel.id}`),
      (doc) => doc !== null,
      target.tries,
    );
    if (!marker) throw new Error('the sentinel was not consumed');
  }

  describe('the generation-result consumer', () => {
    it('applies a result once however often it arrives, and the first outcome wins over a late one', async () => {
      const events = await collectEvents(h, ['conversation.message.v1']);
      const turn = await send(h, ada, { content: 'question' });
      const completed = await publishResult(h, 'user-ada', idsOf(turn), { content: 'the answer' });
      await publishResult(h, 'user-ada', idsOf(turn), { content: 'the answer' }, completed.id);
      await publishResult(h, 'user-ada', idsOf(turn), { error: 'provider timed out' });
      const stored = await eventually(
        () => h.collections.messages.findById(turn.assistantMessage.id),
        (m) => m?.status === 'COMPLETE',
        target.tries,
      );
      expect(stored).toMatchObject({ status: 'COMPLETE', content: 'the answer', finishReason: 'stop', tokenCount: 7, model: 'local-demo' });
      await settle(turn.conversation.id);
      const after = await h.collections.messages.findById(turn.assistantMessage.id);
      expect(after).toMatchObject({ status: 'COMPLETE', content: 'the answer' });
      await h.conversation.relay.drain();
      const completions = await eventually(
        async () =>
          events.filter(
            (e) =>
              e.event.type === 'message.completed' && (e.event.subject as Record<string, string>).messageId === turn.assistantMessage.id,
          ),
        (list) => list.length > 0,
        target.tries,
      );
      expect(completions).toHaveLength(1);
    });

    it("stores an answer's tool calls and citations, and serves them on the message", async () => {
      const turn = await send(h, ada, { content: 'search: falcon' });
      const toolCalls = [
        {
          id: 'call_1',
          name: 'file_search',
          arguments: '{"query":"falcon"}',
          outcome: 'OK',
          summary: '1 passage from "birds.txt"',
          durationMs: 3,
        },
      ];
      const citations = [{ fileId: 'file-1', filename: 'birds.txt', chunkIndex: 2, snippet: 'The falcon dives.' }];
      const event = aiGenerationV1.create(
        'generation.completed',
        { ...idsOf(turn), ownerId: 'user-ada' },
        {
          content: 'It dives [1].',
          finishReason: 'stop',
          model: 'local-demo',
          usage: { promptTokens: 10, completionTokens: 4, totalTokens: 14 },
          toolCalls,
          citations,
        },
      );
      await h.bus.publish(aiGenerationV1.topic, [{ key: turn.conversation.id, event }]);
      await eventually(
        () => h.collections.messages.findById(turn.assistantMessage.id),
        (m) => m?.status === 'COMPLETE',
        target.tries,
      );
      const read = await h.gql<{ conversation: { currentBranch: Array<Record<string, unknown>> } }>(
        ada,
        `query($id: ID!) { conversation(id: $id) { currentBranch {
          toolCalls { id name arguments outcome summary durationMs }
          citations { fileId file { id } filename chunkIndex snippet } } } }`,
        { id: turn.conversation.id },
      );
      const [question, answer] = read.data?.conversation.currentBranch ?? [];
      expect(question).toEqual({ toolCalls: [], citations: [] });
      expect(answer).toEqual({ toolCalls, citations: [{ ...citations[0], file: { id: 'file-1' } }] });
    });

    it('records a failure, and ignores a completion arriving after it', async () => {
      const turn = await send(h, ada, { content: 'question two' });
      await publishResult(h, 'user-ada', idsOf(turn), { error: 'rate limited upstream' });
      await publishResult(h, 'user-ada', idsOf(turn), { content: 'too late' });
      await settle(turn.conversation.id);
      const stored = await eventually(
        () => h.collections.messages.findById(turn.assistantMessage.id),
        (m) => m?.status === 'FAILED',
        target.tries,
      );
      expect(stored).toMatchObject({ status: 'FAILED', content: '', finishReason: 'error' });
    });

    it('drops a result for a message deleted meanwhile, and keeps consuming', async () => {
      const turn = await send(h, ada, { content: 'doomed' });
      await h.gql(ada, 'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }', { id: turn.conversation.id });
      await publishResult(h, 'user-ada', idsOf(turn), { content: 'nobody will read this' });
      const later = await send(h, ada, { content: 'still alive?' });
      await publishResult(h, 'user-ada', idsOf(later), { content: 'yes' });
      const stored = await eventually(
        () => h.collections.messages.findById(later.assistantMessage.id),
        (m) => m?.status === 'COMPLETE',
        target.tries,
      );
      expect(stored?.content).toBe('yes');
      const doomed = await h.collections.messages.findById(turn.assistantMessage.id);
      expect(doomed === null || doomed._deleted === true).toBe(true);
      expect(doomed?.content ?? '').toBe('');
    });
    it('marks a message STREAMING on generation.started, and ABORTED when stopped with its partial text', async () => {
      const turn = await send(h, ada, { content: 'tell me a long story' });
      const subject = { ...idsOf(turn), ownerId: 'user-ada' };
      const started = aiGenerationV1.create('generation.started', subject, { model: 'local-demo', deployment: 'demo/local-demo' });
      await h.bus.publish(aiGenerationV1.topic, [{ key: turn.conversation.id, event: started }]);
      const streaming = await eventually(
        () => h.collections.messages.findById(turn.assistantMessage.id),
        (m) => m?.status === 'STREAMING',
        target.tries,
      );
      expect(streaming?.status).toBe('STREAMING');
      const aborted = aiGenerationV1.create('generation.completed', subject, {
        content: 'Once upon',
        finishReason: 'aborted',
        model: 'local-demo',
        usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 },
      });
      // A late `started` (redelivered after the result) must not reopen the message.
      const lateStart = aiGenerationV1.create('generation.started', subject, { model: 'local-demo', deployment: 'demo/local-demo' });
      await h.bus.publish(aiGenerationV1.topic, [
        { key: turn.conversation.id, event: aborted },
        { key: turn.conversation.id, event: lateStart },
      ]);
      await settle(turn.conversation.id);
      const stored = await h.collections.messages.findById(turn.assistantMessage.id);
      expect(stored).toMatchObject({ status: 'ABORTED', content: 'Once upon', finishReason: 'aborted', tokenCount: 2 });
    });

    it('asks for a title on the first answer of an untitled conversation only, and applies the generated title unless the user chose one', async () => {
      const events = await collectEvents(h, [aiGenerationV1.topic]);
      const first = await send(h, ada, { content: 'what is the capital of France?' });
      await h.conversation.relay.drain();
      const request = await eventually(
        async () =>
          events.find(
            (e) =>
              e.event.type === 'generation.requested' &&
              (e.event.subject as Record<string, string>).messageId === first.assistantMessage.id,
          ),
        (found) => found !== undefined,
        target.tries,
      );
      expect((request?.event.payload as { generateTitle?: boolean }).generateTitle).toBe(true);
      await publishResult(h, 'user-ada', idsOf(first), { content: 'Paris.' });
      const titled = aiGenerationV1.create(
        'title.generated',
        { ...idsOf(first), ownerId: 'user-ada' },
        { title: 'Capital of France', model: 'local-demo' },
      );
      await h.bus.publish(aiGenerationV1.topic, [{ key: first.conversation.id, event: titled }]);
      const conversation = await eventually(
        () => h.collections.conversations.findById(first.conversation.id),
        (c) => c?.title === 'Capital of France',
        target.tries,
      );
      expect(conversation).toMatchObject({ title: 'Capital of France', titleSource: 'generated' });

      const second = await send(h, ada, { conversationId: first.conversation.id, content: 'and of Spain?' });
      await h.conversation.relay.drain();
      const secondRequest = await eventually(
        async () =>
          events.find(
            (e) =>
              e.event.type === 'generation.requested' &&
              (e.event.subject as Record<string, string>).messageId === second.assistantMessage.id,
          ),
        (found) => found !== undefined,
        target.tries,
      );
      expect((secondRequest?.event.payload as { generateTitle?: boolean }).generateTitle).toBeUndefined();

      const named = await h.gql(ada, 'mutation { createConversation(input: { title: "My own title" }) { id } }');
      const namedId = (named.data as { createConversation: { id: string } }).createConversation.id;
      const ignored = aiGenerationV1.create(
        'title.generated',
        { conversationId: namedId, messageId: 'm-x', streamId: 's-x', ownerId: 'user-ada' },
        { title: 'Generated', model: 'local-demo' },
      );
      await h.bus.publish(aiGenerationV1.topic, [{ key: namedId, event: ignored }]);
      await settle(namedId);
      expect((await h.collections.conversations.findById(namedId))?.title).toBe('My own title');
    });
  });
}
