/**
 * An unknown model is refused at the mutation, through the router on the one-process stack:
 * ai-gateway publishes its catalog (`ai.catalog.v1`) at start, conversation consumes it, and
 * `sendMessage` with a model the catalog lacks answers BAD_USER_INPUT `field: 'model'` and
 * writes nothing, while the catalog's `local-demo` streams an answer as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { gql, register, send } from './liveChatScenarios';

let stack: EmbeddedStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-model-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    DEMO_TOKEN_INTERVAL_MS: '5',
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Refusal = { message: string; extensions?: { code?: string; field?: string } };

const conversationCount = async (token: string): Promise<number> => {
  const res = await gql<{ me: { conversations: { edges: unknown[] } } }>(
    stack.url,
    token,
    'query { me { conversations(first: 100) { edges { node { id } } } } }',
  );
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.me.conversations.edges.length;
};

describe('sendMessage with a model missing from the catalog (embedded, through the router)', () => {
  it('is refused BAD_USER_INPUT field model with nothing written; local-demo answers', async () => {
    const token = await register(stack.url, 'model-catalog@example.com', 'Model Catalog');
    // The catalog event is consumed asynchronously after start: until then any model passes (the
    // documented bootstrap rule), so try a bounded number of times, counting around each attempt.
    let refusal: Refusal | undefined;
    for (let attempt = 0; attempt < 200 && !refusal; attempt++) {
      const before = await conversationCount(token);
      const res = await gql<{ sendMessage: unknown }>(
        stack.url,
        token,
        'mutation($input: SendMessageInput!) { sendMessage(input: $input) { streamId } }',
        { input: { content: 'hello', model: 'no-such-model' } },
      );
      const error = (res.errors as Refusal[] | undefined)?.[0];
      if (error) {
        refusal = error;
        expect(await conversationCount(token)).toBe(before);
      } else {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    expect(refusal?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refusal?.extensions?.field).toBe('model');

    const sent = await send(stack.url, token, { content: 'hello', model: 'local-demo' });
    expect(sent.streamId).toBeTruthy();
    let status = sent.assistantMessage.status;
    for (let i = 0; i < 500 && status !== 'COMPLETE'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const res = await gql<{ conversation: { messages: { edges: Array<{ node: { id: string; status: string } }> } } | null }>(
        stack.url,
        token,
        'query($id: ID!) { conversation(id: $id) { messages(first: 10) { edges { node { id status } } } } }',
        { id: sent.conversation.id },
      );
      status = res.data?.conversation?.messages.edges.find((e) => e.node.id === sent.assistantMessage.id)?.node.status ?? status;
    }
    expect(status).toBe('COMPLETE');
  });
});
