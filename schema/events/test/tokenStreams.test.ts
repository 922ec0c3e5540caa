import {
  decodeTokenStreamEntry,
  encodeTokenStreamEntry,
  EventValidationError,
  parseGenerationControl,
  parseTokenStreamRequest,
  type TokenStreamEntry,
} from '..';

/** The token-stream contract's entries, requests and control messages, stated as zod schemas. */

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof EventValidationError) return error.message;
    throw error;
  }
  throw new Error('expected an EventValidationError');
}

describe('token stream entries', () => {
  it('round-trip through their kv fields', () => {
    const entries: TokenStreamEntry[] = [
      { type: 'start', ownerId: 'u1', conversationId: 'c1', messageId: 'm1', model: 'local-demo' },
      { type: 'delta', delta: 'Hel' },
      { type: 'tool', callId: 'call_1', name: 'file_search', phase: 'started', arguments: '{"query":"x"}' },
      {
        type: 'tool',
        callId: 'call_1',
        name: 'file_search',
        phase: 'ended',
        arguments: '{"query":"x"}',
        outcome: 'OK',
        summary: '2 passages',
        durationMs: 12,
      },
      { type: 'done', outcome: 'COMPLETE', finishReason: 'stop', usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 } },
      { type: 'done', outcome: 'FAILED', finishReason: 'error', error: 'provider down' },
    ];
    for (const entry of entries) expect(decodeTokenStreamEntry(encodeTokenStreamEntry(entry))).toEqual(entry);
  });

  it('are refused with the field and a readable reason', () => {
    expect(messageOf(() => decodeTokenStreamEntry({ type: 'chunk' }))).toBe(
      'type: is not a token stream entry type (start, delta, tool, done)',
    );
    expect(messageOf(() => decodeTokenStreamEntry({ type: 'start', ownerId: 'u1', conversationId: 'c1', messageId: 'm1' }))).toMatch(
      /^model: .*expected string, received undefined/,
    );
    expect(messageOf(() => decodeTokenStreamEntry({ type: 'done', outcome: 'WON', finishReason: 'stop' }))).toMatch(
      /^outcome: .*expected one of "COMPLETE"\|"FAILED"\|"ABORTED"/,
    );
    expect(messageOf(() => decodeTokenStreamEntry({ type: 'done', outcome: 'COMPLETE', finishReason: 'stop', usage: '{oops' }))).toBe(
      'usage: is not JSON',
    );
    expect(
      messageOf(() => decodeTokenStreamEntry({ type: 'done', outcome: 'COMPLETE', finishReason: 'stop', usage: '{"promptTokens":1}' })),
    ).toMatch(/^usage\.completionTokens: .*expected number/);
  });
});

describe('requests and control messages', () => {
  it('parse what the writers write, dropping extra fields', () => {
    const request = { streamId: 's1', ownerId: 'u1', conversationId: 'c1', messageId: 'm1', requestedAt: '2026-01-02T03:04:05.678Z' };
    expect(parseTokenStreamRequest(JSON.stringify({ ...request, extra: true }))).toEqual(request);
    expect(parseGenerationControl(JSON.stringify({ type: 'stop', streamId: 's1', requestedBy: 'u1', extra: 1 }))).toEqual({
      type: 'stop',
      streamId: 's1',
      requestedBy: 'u1',
    });
  });

  it('are undefined when malformed (the caller logs or ignores them)', () => {
    for (const raw of ['', 'null', '{"streamId":"s1"}', '{"type":"stop","streamId":"s1"}', '[]']) {
      expect(parseTokenStreamRequest(raw)).toBeUndefined();
      expect(parseGenerationControl(raw)).toBeUndefined();
    }
    expect(parseGenerationControl(JSON.stringify({ type: 'go', streamId: 's1', requestedBy: 'u1' }))).toBeUndefined();
  });
});
