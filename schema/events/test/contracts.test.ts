import { EventValidationError, identityUserV1, parseEnvelope, topicContract, topicName, validateEvent, type IdentityUserEvent } from '..';

const registered = () =>
  identityUserV1.create('user.registered', { userId: 'u1' }, { email: 'ada@example.com', name: 'Ada', role: 'USER', emailVerified: false });

function errorOf(run: () => unknown): EventValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof EventValidationError) return error;
    throw error;
  }
  throw new Error('expected an EventValidationError');
}

describe('event envelope', () => {
  it('builds events with an id, an ISO timestamp and the subject, and keys them by the aggregate id', () => {
    const event = registered();
    expect(event).toMatchObject({ type: 'user.registered', subject: { userId: 'u1' }, payload: { email: 'ada@example.com' } });
    expect(event.occurredAt).toBe(new Date(event.occurredAt).toISOString());
    expect(identityUserV1.keyOf(event)).toBe('u1');
    expect(registered().id).not.toBe(event.id);
  });

  it('round-trips through JSON and names the broken field when it is invalid', () => {
    const event = registered();
    expect(parseEnvelope(JSON.stringify(event))).toEqual(event);
    expect(errorOf(() => parseEnvelope('{not json')).message).toMatch(/not JSON/);
    expect(errorOf(() => parseEnvelope(JSON.stringify({ ...event, occurredAt: 'yesterday' }))).path).toBe('occurredAt');
    expect(errorOf(() => parseEnvelope(JSON.stringify({ ...event, type: 'Registered' }))).path).toBe('type');
    expect(errorOf(() => parseEnvelope(JSON.stringify({ ...event, subject: { userId: 7 } }))).path).toBe('subject.userId');
    expect(errorOf(() => parseEnvelope(JSON.stringify({ ...event, payload: undefined }))).path).toBe('payload');
  });

  it('refuses topic names outside <aggregate>.<entity>.v<N>', () => {
    expect(topicName('conversation', 'message', 1)).toBe('conversation.message.v1');
    expect(() => topicName('Conversation', 'message', 1)).toThrow(EventValidationError);
    expect(() => topicName('conversation', 'message', 0)).toThrow(EventValidationError);
  });
});

describe('identity.user.v1', () => {
  it('is registered and validates each event type', () => {
    expect(topicContract('identity.user.v1')).toBeDefined();
    const updated = identityUserV1.create('user.updated', { userId: 'u1' }, { name: 'Ada L.' });
    const roleChanged = identityUserV1.create('user.role-changed', { userId: 'u1' }, { from: 'USER', to: 'ADMIN', changedBy: 'admin1' });
    for (const event of [registered(), updated, roleChanged])
      expect(validateEvent('identity.user.v1', JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('narrows payloads by type', () => {
    const event: IdentityUserEvent = JSON.parse(JSON.stringify(registered())) as IdentityUserEvent;
    const role = event.type === 'user.registered' ? event.payload.role : event.type === 'user.role-changed' ? event.payload.to : undefined;
    expect(role).toBe('USER');
  });

  it('refuses payloads that break the contract, naming the field', () => {
    const event = registered();
    expect(errorOf(() => validateEvent('identity.user.v1', { ...event, payload: { ...event.payload, role: 'ROOT' } })).path).toBe(
      'payload.role',
    );
    expect(errorOf(() => validateEvent('identity.user.v1', { ...event, type: 'user.merged' })).path).toBe('type');
    expect(errorOf(() => identityUserV1.create('user.updated', { userId: 'u1' }, {})).message).toMatch(/at least one of/);
    expect(errorOf(() => validateEvent('identity.user.v1', { ...event, subject: {} })).path).toBe('subject.userId');
  });

  it('keeps unknown extra payload fields, so additive changes do not break older consumers', () => {
    const event = registered();
    const newer = { ...event, payload: { ...event.payload, locale: 'fr' } };
    expect(validateEvent('identity.user.v1', newer).payload).toEqual(newer.payload);
  });

  it('checks only the envelope of topics without a contract', () => {
    const event = { ...registered(), type: 'thing.happened', payload: { anything: true } };
    expect(validateEvent('test.thing.v1', event)).toEqual(event);
  });
});
