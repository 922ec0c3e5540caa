import { answer, codeOf, collectEvents, ok, send, TURN_FIELDS, userPrincipal, type Harness, type Target, type SentTurn } from '../harness';

/** Conversation suite: edit, regenerate, switch branch, and the generation request trimmed to the context budget. Runs on any `Target` (embedded or FerretDB + Kafka). */
export function describeBranching(target: Target): void {
  const ada = userPrincipal('user-ada');
  let h: Harness;

  beforeAll(async () => {
    h = await target.start({ CONTEXT_TOKEN_BUDGET: '256' });
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  interface BranchMessage {
    id: string;
    role: string;
    content: string;
    siblingIndex: number;
    siblingCount: number;
  }

  const branchOf = async (id: string) =>
    ok<{ currentBranch: BranchMessage[] }>(
      await h.gql(ada, 'query($id: ID!) { conversation(id: $id) { currentBranch { id role content siblingIndex siblingCount } } }', { id }),
      'conversation',
    ).currentBranch;

  describe('the message tree', () => {
    it('edits, regenerates and switches branches; currentBranch follows the active path', async () => {
      const first = await send(h, ada, { content: 'What is 2+2?' });
      const conversationId = first.conversation.id;
      await answer(h, 'user-ada', first, '4');
      const second = await send(h, ada, { conversationId, content: 'And 3+3?' });
      await answer(h, 'user-ada', second, '6');

      const edited = ok<SentTurn>(
        await h.gql(ada, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { messageId: second.userMessage.id, content: 'And 4+4?' },
        }),
        'editMessage',
      );
      expect(edited.userMessage.parentId).toBe(first.assistantMessage.id);
      await answer(h, 'user-ada', edited, '8');
      let branch = await branchOf(conversationId);
      expect(branch.map((m) => m.content)).toEqual(['What is 2+2?', '4', 'And 4+4?', '8']);
      expect(branch[2]).toMatchObject({ siblingIndex: 1, siblingCount: 2 });

      const regenerated = ok<SentTurn>(
        await h.gql(ada, `mutation($id: ID!) { regenerateMessage(messageId: $id) { ${TURN_FIELDS} } }`, { id: edited.assistantMessage.id }),
        'regenerateMessage',
      );
      expect(regenerated.assistantMessage.parentId).toBe(edited.userMessage.id);
      expect(regenerated.userMessage.id).toBe(edited.userMessage.id);
      await answer(h, 'user-ada', regenerated, 'eight');
      branch = await branchOf(conversationId);
      expect(branch.map((m) => m.content)).toEqual(['What is 2+2?', '4', 'And 4+4?', 'eight']);
      expect(branch[3]).toMatchObject({ siblingIndex: 1, siblingCount: 2 });

      // Back to the original question: its path down to its newest leaf becomes active.
      ok(
        await h.gql(ada, 'mutation($id: ID!) { setActiveMessage(messageId: $id) { id } }', { id: second.userMessage.id }),
        'setActiveMessage',
      );
      expect((await branchOf(conversationId)).map((m) => m.content)).toEqual(['What is 2+2?', '4', 'And 3+3?', '6']);

      // A send without parentId continues the active branch.
      const third = await send(h, ada, { conversationId, content: 'Thanks' });
      expect(third.userMessage.parentId).toBe(second.assistantMessage.id);

      const tree = ok<{ messages: { edges: Array<{ node: { content: string; children: Array<{ id: string }> } }> } }>(
        await h.gql(
          ada,
          'query($id: ID!) { conversation(id: $id) { messages(first: 50) { edges { node { content children { id } } } } } }',
          { id: conversationId },
        ),
        'conversation',
      );
      expect(tree.messages.edges.map((e) => e.node.content)).toEqual([
        'What is 2+2?',
        '4',
        'And 3+3?',
        '6',
        'And 4+4?',
        '8',
        'eight',
        'Thanks',
        '',
      ]);
      expect(tree.messages.edges[1]?.node.children).toHaveLength(2);
    });

    it('asks for a generation with the branch trimmed to the budget, keeping the system prompt and the newest turns', async () => {
      const events = await collectEvents(h, ['ai.generation.v1']);
      const created = ok<{ id: string }>(
        await h.gql(ada, 'mutation { createConversation(input: { systemPrompt: "Be brief.", model: "m-1" }) { id } }'),
        'createConversation',
      );
      let parent: SentTurn | undefined;
      for (let i = 0; i < 4; i++) {
        parent = await send(h, ada, { conversationId: created.id, content: `question ${i} ${'x'.repeat(300)}` });
        await answer(h, 'user-ada', parent, `answer ${i}`);
      }
      const last = await send(h, ada, { conversationId: created.id, content: 'final question', model: 'm-2' });
      await h.conversation.relay.drain();
      const request = await waitFor(() =>
        events.find(
          (e) =>
            e.event.type === 'generation.requested' && (e.event.subject as Record<string, string>).messageId === last.assistantMessage.id,
        ),
      );
      const payload = request?.event.payload as {
        model: string;
        messages: Array<{ role: string; content: string }>;
        droppedMessages: number;
      };
      expect(payload.model).toBe('m-2');
      expect(payload.messages[0]).toEqual({ role: 'SYSTEM', content: 'Be brief.' });
      expect(payload.messages[payload.messages.length - 1]).toEqual({ role: 'USER', content: 'final question' });
      expect(payload.droppedMessages).toBeGreaterThan(0);
      expect(request?.event.subject).toEqual({
        conversationId: created.id,
        messageId: last.assistantMessage.id,
        streamId: last.streamId,
        ownerId: 'user-ada',
      });
    });

    it('refuses to edit an assistant message or regenerate a user message', async () => {
      const turn = await send(h, ada, { content: 'hello' });
      expect(
        codeOf(
          await h.gql(ada, 'mutation($i: EditMessageInput!) { editMessage(input: $i) { streamId } }', {
            i: { messageId: turn.assistantMessage.id, content: 'x' },
          }),
        ),
      ).toBe('BAD_USER_INPUT');
      expect(
        codeOf(await h.gql(ada, 'mutation($id: ID!) { regenerateMessage(messageId: $id) { streamId } }', { id: turn.userMessage.id })),
      ).toBe('BAD_USER_INPUT');
      expect(
        codeOf(await h.gql(ada, 'mutation($id: ID!) { regenerateMessage(messageId: $id) { streamId } }', { id: turn.assistantMessage.id })),
      ).toBe('CONFLICT');
    });
  });

  async function waitFor<T>(read: () => T | undefined): Promise<T | undefined> {
    for (let i = 0; i < target.tries; i++) {
      const value = read();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 10));
    }
    return undefined;
  }
}
