import { eventually, type KvContext } from './helpers';

/** Collects messages delivered to one handler. */
function inbox(): { messages: string[]; channels: string[]; handler: (message: string, channel: string) => void } {
  const messages: string[] = [];
  const channels: string[] = [];
  return { messages, channels, handler: (message, channel) => (messages.push(message), channels.push(channel)) };
}

export function pubSubContract(ctx: KvContext): void {
  it('delivers messages in publish order, asynchronously, with the channel name', async () => {
    const kv = ctx.kv();
    const box = inbox();
    await kv.subscribe('abort', box.handler);
    const publishing = kv.publish('abort', 'one');
    expect(box.messages).toEqual([]); // never inside publish()
    await publishing;
    await kv.publish('abort', 'two');
    await kv.publish('abort', JSON.stringify({ streamId: 's1' }));
    await eventually(() => box.messages.length === 3, 'three messages');
    expect(box.messages).toEqual(['one', 'two', '{"streamId":"s1"}']);
    expect(box.channels).toEqual(['abort', 'abort', 'abort']);
  });

  it('reaches subscribers of another instance', async () => {
    const kv = ctx.kv();
    const other = await ctx.peer();
    const box = inbox();
    await other.subscribe('control', box.handler);
    await kv.publish('control', 'stop:gen-1');
    await eventually(() => box.messages.length === 1, 'the message on the other instance');
    expect(box.messages).toEqual(['stop:gen-1']);
  });

  it('delivers to every subscriber, and keeps channels apart', async () => {
    const kv = ctx.kv();
    const first = inbox();
    const second = inbox();
    const elsewhere = inbox();
    await kv.subscribe('user:1', first.handler);
    await kv.subscribe('user:1', second.handler);
    await kv.subscribe('user:2', elsewhere.handler);
    await kv.publish('user:1', 'hello');
    await kv.publish('user:2', 'bye');
    await eventually(
      () => first.messages.length === 1 && second.messages.length === 1 && elsewhere.messages.length === 1,
      'all deliveries',
    );
    expect([first.messages, second.messages, elsewhere.messages]).toEqual([['hello'], ['hello'], ['bye']]);
  });

  it('stops delivering to an unsubscribed handler, and keeps the others', async () => {
    const kv = ctx.kv();
    const leaving = inbox();
    const staying = inbox();
    const unsubscribe = await kv.subscribe('room', leaving.handler);
    await kv.subscribe('room', staying.handler);
    await kv.publish('room', 'before');
    await eventually(() => leaving.messages.length === 1 && staying.messages.length === 1, 'the first message');
    await unsubscribe();
    await unsubscribe(); // safe twice
    await kv.publish('room', 'after');
    // "staying" getting the later message proves it was delivered, and not to "leaving".
    await eventually(() => staying.messages.length === 2, 'the second message');
    expect(leaving.messages).toEqual(['before']);
  });

  it('resubscribes a channel whose last subscriber left', async () => {
    const kv = ctx.kv();
    const box = inbox();
    const unsubscribe = await kv.subscribe('again', box.handler);
    await unsubscribe();
    await kv.subscribe('again', box.handler);
    await kv.publish('again', 'back');
    await eventually(() => box.messages.length === 1, 'the message after resubscribing');
  });

  it('isolates a failing handler from the others and from later messages', async () => {
    const kv = ctx.kv();
    const box = inbox();
    let calls = 0;
    await kv.subscribe('fragile', () => {
      calls++;
      throw new Error('handler bug');
    });
    await kv.subscribe('fragile', async () => Promise.reject(new Error('async handler bug')));
    await kv.subscribe('fragile', box.handler);
    await kv.publish('fragile', 'a');
    await kv.publish('fragile', 'b');
    await eventually(() => box.messages.length === 2, 'both messages');
    expect(calls).toBe(2);
  });
}
