import { chunkOf } from '../src/chunks';

/** Each token stream entry becomes a chunk of its own kind; a tool entry is a TOOL_CALL chunk (ai-gateway's tool loop). */
describe('chunkOf', () => {
  it('gives every entry its kind, and a tool entry its toolCall with no text and no message', () => {
    const start = chunkOf('s1', 1, { type: 'start', ownerId: 'u', conversationId: 'c', messageId: 'm', model: 'x' }, 'm');
    const started = chunkOf(
      's1',
      2,
      { type: 'tool', callId: 'call_1', name: 'file_search', phase: 'started', arguments: '{"query":"q"}' },
      'm',
    );
    const ended = chunkOf(
      's1',
      3,
      {
        type: 'tool',
        callId: 'call_1',
        name: 'file_search',
        phase: 'ended',
        arguments: '{"query":"q"}',
        outcome: 'TOOL_TIMEOUT',
        summary: 'slow',
        durationMs: 300,
      },
      'm',
    );
    const delta = chunkOf('s1', 4, { type: 'delta', delta: 'Hi' }, 'm');
    const done = chunkOf('s1', 5, { type: 'done', outcome: 'COMPLETE', finishReason: 'stop' }, 'm');
    expect([start, started, ended, delta, done].map((c) => c.kind)).toEqual(['START', 'TOOL_CALL', 'TOOL_CALL', 'DELTA', 'DONE']);
    expect(started).toMatchObject({
      delta: '',
      done: false,
      message: null,
      toolCall: {
        id: 'call_1',
        name: 'file_search',
        arguments: '{"query":"q"}',
        phase: 'STARTED',
        outcome: null,
        summary: null,
        durationMs: null,
      },
    });
    expect(ended.toolCall).toEqual({
      id: 'call_1',
      name: 'file_search',
      arguments: '{"query":"q"}',
      phase: 'ENDED',
      outcome: 'TOOL_TIMEOUT',
      summary: 'slow',
      durationMs: 300,
    });
    expect([start, delta, done].map((c) => c.toolCall)).toEqual([null, null, null]);
  });
});
