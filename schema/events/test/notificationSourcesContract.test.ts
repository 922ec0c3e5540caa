import { EventValidationError, identitySessionV1, streamingStreamV1, topicContract, validateEvent } from '..';

describe('identity.session.v1', () => {
  it('is registered and keyed by the user, so one user’s sign-ins stay in order', () => {
    expect(topicContract('identity.session.v1')).toBeDefined();
    const event = identitySessionV1.create(
      'session.started',
      { userId: 'u1', sessionId: 's1' },
      { method: 'password', userAgent: null, ipPrefix: '203.0.113.0/24' },
    );
    expect(identitySessionV1.keyOf(event)).toBe('u1');
    expect(validateEvent('identity.session.v1', JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('refuses an unknown method, a missing session and a User-Agent over 200 characters', () => {
    const event = identitySessionV1.create(
      'session.started',
      { userId: 'u1', sessionId: 's1' },
      { method: 'password', userAgent: 'x', ipPrefix: null },
    );
    expect(() => validateEvent('identity.session.v1', { ...event, payload: { ...event.payload, method: 'magic' } })).toThrow(
      EventValidationError,
    );
    expect(() => validateEvent('identity.session.v1', { ...event, subject: { userId: 'u1' } })).toThrow(EventValidationError);
    expect(() => validateEvent('identity.session.v1', { ...event, payload: { ...event.payload, userAgent: 'x'.repeat(201) } })).toThrow(
      EventValidationError,
    );
  });
});

describe('streaming.stream.v1', () => {
  const subject = { streamId: 'st1', conversationId: 'c1', messageId: 'm1', ownerId: 'u1' };

  it('is registered and keyed by the owner', () => {
    expect(topicContract('streaming.stream.v1')).toBeDefined();
    const event = streamingStreamV1.create('stream.ended', subject, { status: 'COMPLETE', watched: false, preview: '' });
    expect(streamingStreamV1.keyOf(event)).toBe('u1');
    expect(validateEvent('streaming.stream.v1', JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('refuses an unknown status, a missing `watched` and a preview over 200 characters', () => {
    const event = streamingStreamV1.create('stream.ended', subject, { status: 'FAILED', watched: true, preview: 'boom' });
    const bad = (payload: unknown) => () => validateEvent('streaming.stream.v1', { ...event, payload });
    expect(bad({ status: 'DONE', watched: true, preview: '' })).toThrow(EventValidationError);
    expect(bad({ status: 'FAILED', preview: '' })).toThrow(EventValidationError);
    expect(bad({ status: 'FAILED', watched: false, preview: 'x'.repeat(201) })).toThrow(EventValidationError);
  });
});
