/**
 * Notification on the real servers with 2 routers and 2 notification instances (Kafka, Redis,
 * FerretDB): router i talks to notification instance i, and the two instances share one consumer
 * group, so each event is consumed by one of them only. A user with a tab on each router must get
 * every notification and every change once on both tabs: whichever instance consumed an event, the
 * other tab sits on the other instance and got it through Redis (pub/sub for notifications, the
 * shared change log for `myEvents`). A cursor received through router A resumes through router B.
 * The test also plays the file service, publishing `file.file.v1` on Kafka with its contract.
 */
import { createLogger, newId } from '@chatgraph/kit';
import { createKafkaEventBus, type EventBus } from '@chatgraph/kit/events';
import { fileFileV1 } from '@chatgraph/schema';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { KAFKA_BROKERS, startTestStack, type TestStack } from './distributedStack';

let running: TestStack;
let fileService: EventBus;
const sockets: Client[] = [];

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

async function gql<T>(url: string, token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Response<T>;
  if (body.errors?.length || !body.data) throw new Error(`unexpected errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function register(email: string): Promise<{ token: string; userId: string }> {
  const { register: r } = await gql<{ register: { accessToken: string; user: { id: string } } }>(
    running.stack.url,
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    { input: { email, name: email.split('@')[0], password: 'a perfectly fine passphrase' } },
  );
  return { token: r.accessToken, userId: r.user.id };
}

/** Waits until `done` holds, a bounded number of times (100 ms apart: real servers, a loaded machine). */
async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, tries = 900): Promise<T> {
  let value = await read();
  for (let i = 1; i < tries && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

/** Everything one subscription received. */
interface Seen<T> {
  events: T[];
  errors: unknown[];
  stop: () => void;
}

function subscribe<T>(url: string, token: string, query: string, field: string, variables: Record<string, unknown> = {}): Seen<T> {
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  sockets.push(client);
  const seen: Seen<T> = { events: [], errors: [], stop: () => undefined };
  seen.stop = client.subscribe<Record<string, T>>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) seen.errors.push(...result.errors);
        const value = result.data?.[field];
        if (value) seen.events.push(value);
      },
      error: (error) => seen.errors.push(error),
      complete: () => undefined,
    },
  );
  return seen;
}

interface Change {
  eventId: string;
  cursor: string;
  kind: string;
  conversation: { id: string; title: string } | null;
}

interface Note {
  id: string;
  kind: string;
  body: string;
  message: { id: string } | null;
  file: { id: string } | null;
}

/**
 * The position of a change in its user's log, from its cursor (`<seq>:<eventId>`, base64url: opaque
 * to clients, read here to check that a feed has no gap and no repeat).
 */
const seqOf = (change: Change): number => Number(Buffer.from(change.cursor, 'base64url').toString('utf8').split(':')[0]);
const seqs = (list: Change[]): number[] => list.map(seqOf);
/** Whether `list` holds consecutive positions of the log (no gap, no repeat). */
const consecutive = (list: Change[]): boolean => seqs(list).every((seq, i, all) => i === 0 || seq === (all[i - 1] ?? 0) + 1);

/**
 * A subscription without `after` follows the log from when it reaches notification, which a client
 * cannot observe: `poke` makes a change every second until every `feed` has received one.
 * Resolves how many changes it made.
 */
async function untilLive(feeds: Array<Seen<Change>>, poke: () => Promise<unknown>): Promise<number> {
  let made = 0;
  for (let i = 0; i < 900 && feeds.some((f) => f.events.length === 0); i++) {
    if (i % 10 === 0) {
      await poke();
      made++;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return made;
}

const CHANGES = 'subscription($after: String) { myEvents(after: $after) { eventId cursor kind conversation { id title } } }';
const NOTES = 'subscription { notificationReceived { id kind body message { id } file { id } } }';

beforeAll(async () => {
  running = await startTestStack('notification-distributed', { routers: 2, instances: { notification: 2 } });
  fileService = createKafkaEventBus({
    brokers: KAFKA_BROKERS.split(','),
    clientId: 'e2e-file',
    namespace: running.kafkaNamespace,
    logger: createLogger({ name: 'e2e', level: 'silent' }),
  });
  await fileService.start();
}, 240_000);

afterAll(async () => {
  await Promise.all(sockets.map((c) => c.dispose()));
  await fileService?.stop();
  await running?.dispose();
}, 60_000);

describe('notification with 2 routers and 2 notification instances', () => {
  it('a tab on each router gets every change and notification once, whichever instance consumed it; another user nothing', async () => {
    expect(running.stack.subgraphUrls.notification).toHaveLength(2);
    const [routerA, routerB] = running.stack.routerUrls as [string, string];
    const ada = await register('ada-notify-dist@example.com');
    const eve = await register('eve-notify-dist@example.com');
    const changesA = subscribe<Change>(routerA, ada.token, CHANGES, 'myEvents');
    const changesB = subscribe<Change>(routerB, ada.token, CHANGES, 'myEvents');
    const notesA = subscribe<Note>(routerA, ada.token, NOTES, 'notificationReceived');
    const notesB = subscribe<Note>(routerB, ada.token, NOTES, 'notificationReceived');
    const eveChanges = subscribe<Change>(routerB, eve.token, CHANGES, 'myEvents');

    // Probes (new conversations) until both tabs have a change: both feeds are live then. The log
    // then holds exactly the probes (positions 1 to `probes`); wait until both tabs are there.
    const probes = await untilLive([changesA, changesB], () => gql(routerA, ada.token, 'mutation { createConversation { id } }'));
    await eventually(
      () => [changesA.events.at(-1), changesB.events.at(-1)].map((c) => (c ? seqOf(c) : 0)),
      (last) => last.every((seq) => seq === probes),
    );
    const [probeA, probeB] = [changesA.events.length, changesB.events.length];

    // Changes on several conversations (several partitions, so both instances consume some).
    const conversations: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { createConversation } = await gql<{ createConversation: { id: string } }>(
        routerB,
        ada.token,
        'mutation { createConversation { id } }',
      );
      conversations.push(createConversation.id);
      await gql(routerA, ada.token, 'mutation($id: ID!, $t: String!) { updateConversation(id: $id, input: { title: $t }) { id } }', {
        id: createConversation.id,
        t: `Title ${i}`,
      });
    }
    const sent = await gql<{ sendMessage: { assistantMessage: { id: string } } }>(
      routerA,
      ada.token,
      'mutation { sendMessage(input: { content: "Hello from two routers" }) { assistantMessage { id } } }',
    );
    // The file service (played here) reports a file of ada's processed, and one failed.
    const readyFile = newId();
    const brokenFile = newId();
    const ready = fileFileV1.create(
      'file.processed',
      { fileId: readyFile, ownerId: ada.userId },
      {
        filename: 'notes.txt',
        mimeType: 'text/plain',
        bytes: 5,
        purpose: 'MESSAGE_ATTACHMENT',
        text: 'notes',
        textTruncated: false,
        chunkCount: 1,
      },
    );
    const broken = fileFileV1.create('file.failed', { fileId: brokenFile, ownerId: ada.userId }, { code: 'CORRUPT', reason: 'Not a PDF' });
    await fileService.publish(fileFileV1.topic, [
      { key: readyFile, event: ready },
      { key: brokenFile, event: broken },
    ]);
    await fileService.publish(fileFileV1.topic, [{ key: readyFile, event: ready }]); // a redelivery

    const notes = await eventually(
      () => [notesA.events, notesB.events],
      ([a, b]) => (a?.length ?? 0) >= 3 && (b?.length ?? 0) >= 3,
    );
    const byKind = (list: Note[] | undefined) => [...(list ?? [])].sort((x, y) => x.kind.localeCompare(y.kind));
    const expectedNotes = [
      {
        id: expect.any(String),
        kind: 'ANSWER_COMPLETED',
        body: expect.any(String),
        message: { id: sent.sendMessage.assistantMessage.id },
        file: null,
      },
      { id: `file:${broken.id}`, kind: 'FILE_FAILED', body: 'Not a PDF', message: null, file: { id: brokenFile } },
      { id: `file:${ready.id}`, kind: 'FILE_READY', body: 'notes.txt', message: null, file: { id: readyFile } },
    ];
    expect(byKind(notes[0])).toEqual(expectedNotes);
    expect(byKind(notes[1])).toEqual(byKind(notes[0]));

    // After the probes: 4 x (created, renamed), and the sent conversation's created, 2 messages
    // created, the answer completed and its generated title.
    const AFTER_PROBES = 4 * 2 + 5;
    const changes = await eventually(
      () => [changesA.events.slice(probeA), changesB.events.slice(probeB)],
      ([a, b]) => (a?.length ?? 0) >= AFTER_PROBES && (b?.length ?? 0) >= AFTER_PROBES,
    );
    const ids = (list: Change[] | undefined) => (list ?? []).map((c) => c.eventId);
    expect(changes.map((list) => list?.length)).toEqual([AFTER_PROBES, AFTER_PROBES]);
    expect(new Set(ids(changes[0])).size).toBe(AFTER_PROBES);
    // Both tabs hold the log's positions after the probes, in order, none missing or repeated.
    expect(changes.map((list) => seqs(list ?? []))).toEqual(
      [0, 1].map(() => Array.from({ length: AFTER_PROBES }, (_, i) => probes + 1 + i)),
    );
    expect([consecutive(changesA.events), consecutive(changesB.events)]).toEqual([true, true]);
    // Each conversation's changes in order, the same on both tabs.
    for (const id of conversations) {
      const of = (list: Change[] | undefined) => (list ?? []).filter((c) => c.conversation?.id === id).map((c) => c.kind);
      expect(of(changes[0])).toEqual(['CONVERSATION_CREATED', 'CONVERSATION_UPDATED']);
      expect(of(changes[1])).toEqual(of(changes[0]));
    }
    expect([...ids(changes[1])].sort()).toEqual([...ids(changes[0])].sort());
    expect(changes[0]?.filter((c) => c.kind === 'MESSAGE_CREATED')).toHaveLength(2);
    expect(changes[0]?.filter((c) => c.kind === 'MESSAGE_COMPLETED')).toHaveLength(1);
    expect([changesA.errors, changesB.errors, notesA.errors, notesB.errors]).toEqual([[], [], [], []]);

    // eve saw none of it: her own change is the first she gets.
    await gql(routerA, eve.token, 'mutation { createConversation { id } }');
    await eventually(
      () => eveChanges.events.length,
      (n) => n > 0,
    );
    expect(eveChanges.events.map((c) => c.kind)).toEqual(['CONVERSATION_CREATED']);
  }, 240_000);

  it('a cursor received through router A resumes through router B exactly', async () => {
    const [routerA, routerB] = running.stack.routerUrls as [string, string];
    const kim = await register('kim-notify-dist@example.com');
    const first = subscribe<Change>(routerA, kim.token, CHANGES, 'myEvents');
    const { createConversation } = await gql<{ createConversation: { id: string } }>(
      routerA,
      kim.token,
      'mutation { createConversation { id } }',
    );
    const id = createConversation.id;
    const rename = (url: string, t: string) =>
      gql(url, kim.token, 'mutation($id: ID!, $t: String!) { updateConversation(id: $id, input: { title: $t }) { id } }', { id, t });
    // Renames until the feed is live; then it holds every change up to the last one made.
    const probes = await untilLive([first], () => rename(routerA, 'Probe'));
    await eventually(
      () => seqOf(first.events.at(-1) as Change),
      (seq) => seq === 1 + probes,
    );
    first.stop(); // offline
    const cursor = first.events.at(-1) as Change;
    await rename(routerA, 'Missed one');
    await rename(routerB, 'Missed two');
    const resumed = subscribe<Change>(routerB, kim.token, CHANGES, 'myEvents', { after: cursor.cursor });
    await eventually(
      () => resumed.events.length,
      (n) => n === 2,
    );
    await rename(routerA, 'Live');
    const all = await eventually(
      () => resumed.events,
      (events) => events.length === 3,
    );
    expect(all.map((c) => c.kind)).toEqual(['CONVERSATION_UPDATED', 'CONVERSATION_UPDATED', 'CONVERSATION_UPDATED']);
    // Exactly the log after the cursor: the next three positions, none seen before.
    expect(seqs(all)).toEqual([seqOf(cursor) + 1, seqOf(cursor) + 2, seqOf(cursor) + 3]);
    expect(all.filter((c) => first.events.some((seen) => seen.eventId === c.eventId))).toEqual([]);
    expect(new Set(all.map((c) => c.eventId)).size).toBe(3);
    expect(all[2]?.conversation).toEqual({ id, title: 'Live' });
    expect(resumed.errors).toEqual([]);
  }, 240_000);
});
