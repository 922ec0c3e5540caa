import { EventValidationError, rateLimitBalanceV1, topicContract, validateEvent } from '..';

describe('ratelimit.balance.v1', () => {
  it("is registered and keyed by the user, so one user's balance changes stay in order", () => {
    expect(topicContract('ratelimit.balance.v1')).toBeDefined();
    const event = rateLimitBalanceV1.create('balance.changed', { userId: 'u1' }, { credits: -12, version: 3, reason: 'debit' });
    expect(rateLimitBalanceV1.keyOf(event)).toBe('u1');
    expect(validateEvent('ratelimit.balance.v1', JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('refuses a fractional or out-of-Int balance, a version below 1 and an unknown reason', () => {
    const event = rateLimitBalanceV1.create('balance.changed', { userId: 'u1' }, { credits: 5, version: 1, reason: 'grant' });
    const bad = (payload: unknown) => () => validateEvent('ratelimit.balance.v1', { ...event, payload });
    expect(bad({ credits: 1.5, version: 1, reason: 'grant' })).toThrow(EventValidationError);
    expect(bad({ credits: 2 ** 31, version: 1, reason: 'grant' })).toThrow(EventValidationError);
    expect(bad({ credits: 1, version: 0, reason: 'grant' })).toThrow(EventValidationError);
    expect(bad({ credits: 1, version: 1, reason: 'gift' })).toThrow(EventValidationError);
  });
});
