import { decodeChangeCursor, encodeChangeCursor } from '../src/changeCursor';
import { codeOf } from './harness';

/** The code of what `decodeChangeCursor(after)` throws (undefined when it decodes). */
function refusal(after: string): unknown {
  try {
    decodeChangeCursor(after);
    return undefined;
  } catch (error) {
    return codeOf({ errors: [error as { extensions?: Record<string, unknown> }] });
  }
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

describe('myEvents cursors', () => {
  it('round-trip: seq and event id', () => {
    const cursor = { seq: 42, eventId: '01JF3Z0K9X.evt:1_a-b' };
    expect(decodeChangeCursor(encodeChangeCursor(cursor))).toEqual(cursor);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc$def'],
    ['too long', 'a'.repeat(201)],
    ['seq 0', b64('0:evt')],
    ['negative seq', b64('-1:evt')],
    ['no event id', b64('7:')],
    ['a space in the event id', b64('7:ev t')],
    ['seq beyond 15 digits', b64(`${'9'.repeat(16)}:evt`)],
    ['padded', `${b64('7:evt1')}==`],
    // Same bytes as b64('7:evt12') (`NzpldnQxMg`), with stray bits in the last character.
    ['not canonical', 'NzpldnQxMh'],
  ])('refuses %s with BAD_USER_INPUT', (_name, after) => {
    expect(refusal(after)).toBe('BAD_USER_INPUT');
  });
});
