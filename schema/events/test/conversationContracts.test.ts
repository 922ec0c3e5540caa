import { aiGenerationV1, conversationConversationV1, conversationMessageV1, EventValidationError, topicContract } from '..';

const subject = { conversationId: 'c1', messageId: 'm1', streamId: 's1', ownerId: 'u1' };

describe('conversation and generation contracts', () => {
  it('are registered and keyed by the conversation id', () => {
    for (const contract of [conversationConversationV1, conversationMessageV1, aiGenerationV1]) {
      expect(topicContract(contract.topic)).toBeDefined();
      expect(contract.keyedBy).toBe('conversationId');
    }
    const requested = aiGenerationV1.create('generation.requested', subject, {
      model: 'm',
      messages: [
        { role: 'SYSTEM', content: 'be brief' },
        { role: 'USER', content: 'hi' },
      ],
      droppedMessages: 0,
      estimatedPromptTokens: 12,
    });
    expect(aiGenerationV1.keyOf(requested)).toBe('c1');
  });

  it('refuse events that break them, naming the field', () => {
    const error = (run: () => unknown): EventValidationError | undefined => {
      try {
        run();
      } catch (err) {
        if (err instanceof EventValidationError) return err;
        throw err;
      }
      return undefined;
    };
    expect(
      error(() =>
        aiGenerationV1.validate({
          id: 'e1',
          type: 'generation.completed',
          occurredAt: new Date().toISOString(),
          subject,
          payload: { content: 'x', finishReason: 'stop', model: 'm' },
        }),
      )?.path,
    ).toBe('payload.usage');
    expect(
      error(() =>
        conversationConversationV1.validate({
          id: 'e2',
          type: 'conversation.updated',
          occurredAt: new Date().toISOString(),
          subject: { conversationId: 'c1', ownerId: 'u1' },
          payload: {},
        }),
      )?.path,
    ).toBe('payload');
    expect(
      error(() =>
        conversationMessageV1.validate({
          id: 'e3',
          type: 'message.created',
          occurredAt: new Date().toISOString(),
          subject: { conversationId: 'c1', messageId: 'm1', ownerId: 'u1' },
          payload: { role: 'BOT', parentId: null, content: '', status: 'PENDING' },
        }),
      )?.path,
    ).toBe('payload.role');
  });
});
