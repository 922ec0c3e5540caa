import { ASSISTANT_LIMITS, assistantAssistantV1, EventValidationError, topicContract, validateEvent, type AssistantState } from '..';

const subject = { assistantId: 'a1', ownerId: 'u1' };
const state: AssistantState = {
  version: 1,
  name: 'Tax helper',
  instructions: 'Answer tax questions.',
  model: 'local-demo',
  temperature: 0.7,
  topP: null,
  tools: ['file_search'],
  fileIds: ['f1'],
  visibility: 'SHARED',
  sharedWith: ['u2'],
};

describe('assistant.assistant.v1', () => {
  it('is registered, keyed by the assistant, and survives the wire', () => {
    const created = assistantAssistantV1.create('assistant.created', subject, state);
    expect(topicContract('assistant.assistant.v1')).toBe(assistantAssistantV1);
    expect(assistantAssistantV1.keyOf(created)).toBe('a1');
    expect(validateEvent('assistant.assistant.v1', JSON.parse(JSON.stringify(created)))).toEqual(created);
    const deleted = assistantAssistantV1.create('assistant.deleted', subject, { version: 3 });
    expect(deleted.payload).toEqual({ version: 3 });
  });

  it('refuses an unknown tool, out-of-range parameters, version 0, oversized instructions and lists', () => {
    const bad: Array<Partial<Record<keyof AssistantState, unknown>>> = [
      { tools: ['shell'] },
      { temperature: 2.5 },
      { topP: -0.1 },
      { version: 0 },
      { visibility: 'FRIENDS' },
      { instructions: 'x'.repeat(ASSISTANT_LIMITS.instructions + 1) },
      { fileIds: Array.from({ length: ASSISTANT_LIMITS.files + 1 }, (_, i) => `f${i}`) },
      { sharedWith: Array.from({ length: ASSISTANT_LIMITS.sharedWith + 1 }, (_, i) => `u${i}`) },
      { sharedWith: ['not an id'] },
    ];
    for (const change of bad) {
      expect(() => assistantAssistantV1.create('assistant.updated', subject, { ...state, ...change } as AssistantState)).toThrow(
        EventValidationError,
      );
    }
    expect(() => assistantAssistantV1.create('assistant.deleted', { assistantId: 'a1' } as typeof subject, { version: 1 })).toThrow(
      EventValidationError,
    );
  });
});
