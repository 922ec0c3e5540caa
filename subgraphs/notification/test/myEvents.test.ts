import type { Client } from 'graphql-ws';
import { newId } from '@chatgraph/kit';
import { conversationConversationV1, conversationMessageV1, identityUserV1, type EventEnvelope } from '@chatgraph/schema';
import { changeLogKey } from '../src/changeLog';
import { encodeChangeCursor } from '../src/changeCursor';
import { eventually, startNotification, userPrincipal, wsClient, type Harness } from './harness';

const FIELDS = 'eventId cursor kind conversationId conversation { id } messageId message { id } changedFields';
const FEED = `subscription($after: String) { myEvents(after: $after) { ${FIELDS} } }`;

interface Received {
  eventId: string;
  cursor: string;
  kind: string;
  conversationId: string;
  conversation: { id: string } | null;
  messageId: string | null;
  message: { id: string } | null;
  changedFields: string[];
}

interface Collected {
  events: Received[];
  errors: Array<{ extensions?: Record<string, unknown> }>;
  completed: boolean;
  stop: () => void;
}

function follow(client: Client, after?: string): Collected {
  const collected: Collected = { events: [], errors: [], completed: false, stop: () => undefined };
  collected.stop = client.subscribe<{ myEvents: Received }>(
    { query: FEED, variables: after === undefined ? {} : { after } },
    {
      next: (result) => {
        if (result.errors) collected.errors.push(...result.errors);
        if (result.data) collected.events.push(result.data.myEvents);
      },
      error: (error) =>
        collected.errors.push(...(Array.isArray(error) ? (error as Collected['errors']) : [{ extensions: { raw: String(error) } }])),
      complete: () => {
        collected.completed = true;
      },
    },
  );
  return collected;
}

const created = (ownerId: string, conversationId = newId(), occurredAt?: Date): EventEnvelope =>
  conversationConversationV1.create(
    'conversation.created',
    { conversationId, ownerId },
    { title: 'New conversation' },
    occurredAt ? { occurredAt } : {},
  );
const renamed = (ownerId: string, conversationId: string): EventEnvelope =>
  conversationConversationV1.create('conversation.updated', { conversationId, ownerId }, { title: 'Steam engines', pinned: true });
const deleted = (ownerId: string, conversationId: string): EventEnvelope =>
  conversationConversationV1.create('conversation.deleted', { conversationId, ownerId }, { messageCount: 1 });
const message = (ownerId: string, conversationId: string, messageId = newId()): EventEnvelope =>
  conversationMessageV1.create(
    'message.created',
    { conversationId, messageId, ownerId },
    { role: 'USER', parentId: null, content: 'Hello', status: 'COMPLETE' },
  );
const messageGone = (ownerId: string, conversationId: string, messageId: string): EventEnvelope =>
  conversationMessageV1.create('message.deleted', { conversationId, messageId, ownerId }, { reason: 'conversation-deleted' });

/** Publishes on the event's topic, keyed by conversation like conversation's relay (again: a redelivery). */
async function publish(h: Harness, event: EventEnvelope): Promise<void> {
  const topic = event.type.startsWith('message.') ? conversationMessageV1.topic : conversationConversationV1.topic;
  await h.bus.publish(topic, [{ key: event.subject.conversationId ?? '', event }]);
}

describe('myEvents', () => {
  let h: Harness;
  const clients: Client[] = [];
  const client = (userId: string): Client => {
    const c = wsClient(h, userPrincipal(userId));
    clients.push(c);
    return c;
  };
  /** Waits until `n` more feeds than `open` are open (each subscription has read its head). */
  const feedsOpen = (n: number) =>
    eventually(
      () => h.service.changeFeeds.size,
      (size) => size === n,
      h.tries,
    );
  beforeAll(async () => {
    h = await startNotification();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await h.dispose();
  });

  it('every open subscription of the owner gets each change once, in order, as references; another user none', async () => {
    const open = h.service.changeFeeds.size;
    const tabA = follow(client('ada'));
    const tabB = follow(client('ada'));
    const eve = follow(client('eve'));
    await feedsOpen(open + 3);
    const conversationId = newId();
    const messageId = newId();
    const events = [created('ada', conversationId), renamed('ada', conversationId), message('ada', conversationId, messageId)];
    for (const event of events) await publish(h, event);
    await publish(h, events[1] as EventEnvelope); // a redelivery: logged once
    await publish(h, deleted('ada', conversationId));
    // eve's own change, on the same conversation key so it is consumed after ada's.
    const evesOwn = created('eve', conversationId);
    await publish(h, evesOwn);
    await eventually(
      () => tabA.events.length + tabB.events.length + eve.events.length,
      (n) => n === 9,
      h.tries,
    );
    const expected = [
      { kind: 'CONVERSATION_CREATED', conversation: { id: conversationId }, messageId: null, message: null, changedFields: [] },
      {
        kind: 'CONVERSATION_UPDATED',
        conversation: { id: conversationId },
        messageId: null,
        message: null,
        changedFields: ['title', 'pinned'],
      },
      { kind: 'MESSAGE_CREATED', conversation: { id: conversationId }, messageId, message: { id: messageId }, changedFields: [] },
      { kind: 'CONVERSATION_DELETED', conversation: null, messageId: null, message: null, changedFields: [] },
    ].map((fields) => expect.objectContaining({ ...fields, conversationId }));
    expect(tabA.events).toEqual(expected);
    expect(tabB.events).toEqual(expected);
    expect(tabA.events.slice(0, 3).map((e) => e.eventId)).toEqual(events.map((e) => e.id));
    expect(new Set(tabA.events.map((e) => e.cursor)).size).toBe(4);
    expect(eve.events.map((e) => e.eventId)).toEqual([evesOwn.id]);
    expect([tabA.errors, tabB.errors, eve.errors]).toEqual([[], [], []]);
  });

  it('with after: first the changes since that cursor, then live, each once', async () => {
    const conversationId = newId();
    const earlier = [created('kim', conversationId), renamed('kim', conversationId), message('kim', conversationId)];
    const open = h.service.changeFeeds.size;
    const first = follow(client('kim'));
    await feedsOpen(open + 1);
    for (const event of earlier) await publish(h, event);
    await eventually(
      () => first.events.length,
      (n) => n === 3,
      h.tries,
    );
    first.stop(); // the tab disconnects after the first change it received
    await feedsOpen(open);
    const missed = message('kim', conversationId);
    await publish(h, missed);
    await eventually(
      () => h.kv.read(changeLogKey('kim')),
      (entries) => entries.length === 4,
      h.tries,
    );

    const resumed = follow(client('kim'), first.events[0]?.cursor);
    await eventually(
      () => resumed.events.length,
      (n) => n === 3,
      h.tries,
    );
    const later = message('kim', conversationId);
    await publish(h, later);
    await eventually(
      () => resumed.events.length,
      (n) => n === 4,
      h.tries,
    );
    expect(resumed.events.map((e) => e.eventId)).toEqual([earlier[1]?.id, earlier[2]?.id, missed.id, later.id]);
    expect(resumed.errors).toEqual([]);
  });

  it('refuses a malformed cursor (BAD_USER_INPUT) and another user’s or a trimmed one (CURSOR_EXPIRED), sending nothing', async () => {
    const conversationId = newId();
    const ownerEvents = [created('max', conversationId), renamed('max', conversationId), message('max', conversationId)];
    for (const event of ownerEvents) await publish(h, event);
    // ned has a log too, whose first seq is the same number as max's cursor below.
    await publish(h, created('ned', conversationId));
    const maxLog = await eventually(
      () => h.kv.read(changeLogKey('max')),
      (entries) => entries.length === 3,
      h.tries,
    );
    await eventually(
      () => h.kv.read(changeLogKey('ned')),
      (entries) => entries.length === 1,
      h.tries,
    );
    const maxFirst = encodeChangeCursor({ seq: maxLog[0]?.seq ?? 0, eventId: maxLog[0]?.fields.id ?? '' });
    const cases = {
      malformed: follow(client('ned'), 'not a cursor!'),
      forged: follow(client('ned'), Buffer.from('1:x y', 'utf8').toString('base64url')),
      foreign: follow(client('ned'), maxFirst),
    };
    await eventually(
      () => Object.values(cases).filter((c) => c.errors.length > 0).length,
      (n) => n === 3,
      h.tries,
    );
    expect(Object.values(cases).map((c) => c.events)).toEqual([[], [], []]);
    expect(cases.malformed.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(cases.forged.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(cases.foreign.errors[0]?.extensions).toEqual(expect.objectContaining({ code: 'NOT_FOUND', reason: 'CURSOR_EXPIRED' }));

    // max's own cursor is good until the log is trimmed past it.
    await h.kv.trim(changeLogKey('max'), 1);
    const trimmed = follow(client('max'), maxFirst);
    await eventually(
      () => trimmed.errors.length,
      (n) => n > 0,
      h.tries,
    );
    expect(trimmed.events).toEqual([]);
    expect(trimmed.errors[0]?.extensions).toEqual(expect.objectContaining({ code: 'NOT_FOUND', reason: 'CURSOR_EXPIRED' }));
  });

  it('a feed further behind than the log ends with CURSOR_EXPIRED after what it had', async () => {
    const conversationId = newId();
    for (let i = 0; i < 4; i++) await publish(h, message('liv', conversationId));
    await eventually(
      () => h.kv.read(changeLogKey('liv')),
      (entries) => entries.length === 4,
      h.tries,
    );
    await h.kv.trim(changeLogKey('liv'), 2);
    const feed = await h.service.changeFeeds.follow('liv', 1);
    expect(await feed.next()).toEqual({ value: { expired: true }, done: false });
    expect(await feed.next()).toEqual({ value: undefined, done: true });
  });

  it('skips message.deleted and changes older than the log lives; a deleted account’s log is deleted', async () => {
    const conversationId = newId();
    const old = created('oli', conversationId, new Date(Date.now() - 2 * 24 * 60 * 60 * 1000));
    await publish(h, old);
    await publish(h, messageGone('oli', conversationId, newId()));
    const marker = created('oli', conversationId);
    await publish(h, marker);
    const entries = await eventually(
      () => h.kv.read(changeLogKey('oli')),
      (found) => found.length > 0,
      h.tries,
    );
    expect(entries.map((e) => e.fields.id)).toEqual([marker.id]);

    const gone = identityUserV1.create('user.deleted', { userId: 'oli' }, { by: 'oli' });
    await h.bus.publish(identityUserV1.topic, [{ key: 'oli', event: gone }]);
    const emptied = await eventually(
      () => h.kv.read(changeLogKey('oli')),
      (found) => found.length === 0,
      h.tries,
    );
    expect(emptied).toEqual([]);
    // A late change of the deleted account logs nothing (then another user's, consumed after it).
    await publish(h, renamed('oli', conversationId));
    const after = created('pia', conversationId);
    await publish(h, after);
    const pias = await eventually(
      () => h.kv.read(changeLogKey('pia')),
      (found) => found.length === 1,
      h.tries,
    );
    expect(pias.map((e) => e.fields.id)).toEqual([after.id]);
    expect(await h.kv.read(changeLogKey('oli'))).toEqual([]);
  });

  it('is refused without a user', async () => {
    const anonymous = wsClient(h, { kind: 'anonymous' });
    clients.push(anonymous);
    const refused = follow(anonymous);
    await eventually(
      () => refused.errors.length,
      (n) => n > 0,
      h.tries,
    );
    expect(refused.errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
