/**
 * Notification preferences end to end, through the router of the one-process stack: a user turns
 * a kind off in-app and the next answer of that kind is neither listed nor counted; malformed
 * input is BAD_USER_INPUT; another user's preferences stay theirs; an API key without the `write`
 * scope cannot change them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { aiGenerationV1 } from '@chatgraph/schema';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';

let stack: EmbeddedStack;
let dataDir: string;

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** A POST through the router; `auth` is a bearer token or `{ apiKey }`. */
async function gql<T>(
  auth: string | { apiKey: string } | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<Response<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (typeof auth === 'string') headers.authorization = `Bearer ${auth}`;
  else if (auth) headers['x-api-key'] = auth.apiKey;
  const res = await fetch(stack.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as Response<T>;
}

async function register(email: string, name: string): Promise<{ token: string; userId: string }> {
  const res = await gql<{ register: { accessToken: string; user: { id: string } } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    { input: { email, name, password: 'a perfectly fine passphrase' } },
  );
  const token = res.data?.register.accessToken;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return { token, userId: res.data?.register.user.id ?? '' };
}

function codeOf(res: Response<unknown>): unknown {
  return res.errors?.[0]?.extensions?.code;
}

/** Reads until `done` holds, a bounded number of times (events are asynchronous). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, tries = 400): Promise<T> {
  let value = await read();
  for (let i = 1; i < tries && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}

interface Preference {
  kind: string;
  inApp: boolean;
  email: boolean;
  emailAvailable: boolean;
}

const PREFS = '{ notificationPreferences { kind inApp email emailAvailable } }';
const UPDATE = `mutation($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { kind inApp email emailAvailable }
}`;
const MINE = '{ notifications(first: 10) { edges { node { id kind message { id } } } } unreadNotificationCount }';

interface Mine {
  notifications: { edges: Array<{ node: { id: string; kind: string; message: { id: string } | null } }> };
  unreadNotificationCount: number;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-notification-prefs-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('notification preferences through the router', () => {
  it('an answer of a kind turned off in-app is not stored; a kind left on still is', async () => {
    const ada = await register('ada@example.com', 'Ada');
    const updated = await gql<{ updateNotificationPreferences: Preference[] }>(ada.token, UPDATE, {
      input: { preferences: [{ kind: 'ANSWER_COMPLETED', inApp: false }] },
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data?.updateNotificationPreferences.find((p) => p.kind === 'ANSWER_COMPLETED')).toEqual({
      kind: 'ANSWER_COMPLETED',
      inApp: false,
      email: false,
      emailAvailable: false,
    });

    const sent = await gql<{ sendMessage: { conversation: { id: string }; assistantMessage: { id: string } } }>(
      ada.token,
      'mutation { sendMessage(input: { content: "Tell me about engines" }) { conversation { id } assistantMessage { id } } }',
    );
    expect(sent.errors).toBeUndefined();
    const conversationId = sent.data?.sendMessage.conversation.id ?? '';
    const messageId = sent.data?.sendMessage.assistantMessage.id ?? '';
    // conversation applies the same `generation.completed`: once the answer is COMPLETE there, it was published.
    const answered = await eventually(
      () =>
        gql<{ conversation: { messages: { edges: Array<{ node: { id: string; status: string } }> } } }>(
          ada.token,
          'query($id: ID!) { conversation(id: $id) { messages(first: 10) { edges { node { id status } } } } }',
          { id: conversationId },
        ),
      (res) => res.data?.conversation.messages.edges.some((e) => e.node.id === messageId && e.node.status === 'COMPLETE') === true,
    );
    expect(answered.errors).toBeUndefined();
    // A marker on the same partition (ai.generation.v1 is keyed by conversation), after the
    // answer's `generation.completed`: once its ANSWER_FAILED is listed, the answer was handled.
    const marker = aiGenerationV1.create(
      'generation.failed',
      { conversationId, messageId, streamId: 'marker-stream', ownerId: ada.userId },
      { error: 'marker' },
    );
    await stack.bus.publish(aiGenerationV1.topic, [{ key: conversationId, event: marker }]);
    const mine = await eventually(
      () => gql<Mine>(ada.token, MINE),
      (res) => (res.data?.notifications.edges.length ?? 0) > 0,
    );
    expect(mine.data?.notifications.edges.map((e) => e.node.kind)).toEqual(['ANSWER_FAILED']);
    expect(mine.data?.unreadNotificationCount).toBe(1);
  });

  it('refuses malformed input, keeps each user’s preferences their own, and needs the write scope', async () => {
    const bob = await register('bob@example.com', 'Bob');
    const eve = await register('eve@example.com', 'Eve');
    for (const preferences of [[{ kind: 'NOPE', inApp: false }], [{ kind: 'FILE_READY', email: true }], [{ kind: 'FILE_READY' }], []])
      expect(codeOf(await gql(bob.token, UPDATE, { input: { preferences } }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(bob.token, UPDATE, { input: { preferences: 'LOW_CREDITS' } }))).toBeDefined();
    const untouched = await gql<{ notificationPreferences: Preference[] }>(bob.token, PREFS);
    expect(untouched.data?.notificationPreferences.every((p) => p.inApp && !p.email)).toBe(true);

    const on = await gql(bob.token, UPDATE, { input: { preferences: [{ kind: 'LOW_CREDITS', email: true }] } });
    expect(on.errors).toBeUndefined();
    const theirs = await gql<{ notificationPreferences: Preference[] }>(eve.token, PREFS);
    expect(theirs.data?.notificationPreferences.find((p) => p.kind === 'LOW_CREDITS')).toMatchObject({ email: false });
    expect(codeOf(await gql(undefined, PREFS))).toBe('UNAUTHENTICATED');

    const key = await gql<{ createApiKey: { secret: string } }>(
      bob.token,
      'mutation { createApiKey(input: { name: "reader", scopes: [READ] }) { secret } }',
    );
    const reader = { apiKey: key.data?.createApiKey.secret ?? '' };
    expect(codeOf(await gql(reader, UPDATE, { input: { preferences: [{ kind: 'LOW_CREDITS', email: false }] } }))).toBe('FORBIDDEN');
    expect(codeOf(await gql(reader, 'mutation { markAllNotificationsRead }'))).toBe('FORBIDDEN');
    const read = await gql<{ notificationPreferences: Preference[] }>(reader, PREFS);
    expect(read.data?.notificationPreferences.find((p) => p.kind === 'LOW_CREDITS')).toMatchObject({ email: true });
  });
});
