/**
 * The tool loop end to end through the router as a client would, offline (the local demo model),
 * run embedded (tool-loop-through-router.test.ts) and distributed (tool-loop-distributed.real.test.ts): Ada uploads a knowledge file (file service: text
 * extracted and chunked, `file.chunked` feeds ai-gateway's chunk index), creates an assistant with
 * `file_search` and that file, and asks "search: ..." in its thread. Apollo Client (HttpLink +
 * GraphQLWsLink over graphql-ws) watches the stream: a TOOL_CALL chunk when the call starts and
 * one when it ends, then the answer; the final chunk's message carries the tool call and the
 * citation, and the cache holds them; a reload from the network shows the same. Bob, once the
 * assistant is public, gets the same passage cited in his own thread, but cannot read the file.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient, type Client } from 'graphql-ws';
import type { FakeOpenAI } from '../../subgraphs/ai-gateway/test/support/fakeOpenAI';
import WebSocket from 'ws';
import { graphQL, registerUser } from './graphClient';

/** Where the scenario runs: the router's URL, and how many 25 ms polls a wait may take. */
export interface ToolLoopStack {
  url(): string;
  tries: number;
  /** The fake OpenAI server the stack's catalog routes `FAKE_TOOL_MODEL` to (its model `gpt-tools`; `fakeToolCatalog`). */
  fake: () => FakeOpenAI;
}

/** The catalog model a stack with a fake OpenAI server routes to it (see `fakeToolCatalog`). */
export const FAKE_TOOL_MODEL = 'tool-model';

/** A catalog (MODEL_CATALOG_FILE contents): the built-in demo models plus `tool-model` on the fake server. */
export function fakeToolCatalog(baseURL: string): Record<string, unknown> {
  const free = { inputPricePerMTok: 0, outputPricePerMTok: 0 };
  return {
    providers: [
      { id: 'demo', kind: 'demo' },
      { id: 'fake', kind: 'openai', baseURL },
    ],
    models: [
      { id: 'local-demo', displayName: 'Local demo model', contextWindow: 8192, capabilities: ['chat'], ...free },
      { id: 'local-demo-embedding', displayName: 'Local demo embedding', contextWindow: 8192, capabilities: ['embeddings'], ...free },
      { id: FAKE_TOOL_MODEL, displayName: 'Fake tool model', contextWindow: 128000, capabilities: ['chat', 'tools'], ...free },
    ],
    routes: {
      'local-demo': [{ provider: 'demo', model: 'local-demo' }],
      'local-demo-embedding': [{ provider: 'demo', model: 'local-demo-embedding' }],
      [FAKE_TOOL_MODEL]: [{ provider: 'fake', model: 'gpt-tools' }],
    },
    titleModel: 'local-demo',
    embeddingModel: 'local-demo-embedding',
  };
}

export function describeToolLoopScenario(name: string, target: ToolLoopStack): void {
  const stack = {
    get url() {
      return target.url();
    },
  };
  const sockets: Client[] = [];
  const clients: ApolloClient[] = [];

  const post = graphQL(() => stack.url);
  const register = async (email: string, name: string): Promise<{ token: string; id: string }> => {
    const { token, userId } = await registerUser(post, email, name);
    return { token, id: userId };
  };

  /** Calls `attempt` until `done` holds, a bounded number of times 25 ms apart (read models catch up asynchronously). */
  async function retry<T>(attempt: () => Promise<T>, done: (value: T) => boolean, tries = target.tries): Promise<T> {
    let value = await attempt();
    for (let i = 1; i < tries && !done(value); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      value = await attempt();
    }
    return value;
  }

  /** Apollo Client over the router: HTTP for queries and mutations, graphql-ws for subscriptions. */
  function apolloClient(token: string): ApolloClient {
    const ws = createClient({
      url: stack.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    sockets.push(ws);
    const link = ApolloLink.split(
      ({ query }) => {
        const definition = getMainDefinition(query);
        return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
      },
      new GraphQLWsLink(ws),
      new HttpLink({ uri: stack.url, headers: { authorization: `Bearer ${token}` } }),
    );
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    clients.push(client);
    return client;
  }

  /** Uploads a text file and waits until it is READY (the file service has chunked it). */
  async function upload(token: string, filename: string, text: string): Promise<string> {
    const bytes = Buffer.from(text, 'utf8');
    const res = await post<{ createUpload: { file: { id: string }; uploadUrl: string } }>(
      token,
      'mutation($input: CreateUploadInput!) { createUpload(input: $input) { file { id } uploadUrl } }',
      { input: { filename, mimeType: 'text/plain', bytes: bytes.length, purpose: 'ASSISTANT_KNOWLEDGE' } },
    );
    const ticket = res.data?.createUpload;
    if (!ticket) throw new Error(`createUpload failed: ${JSON.stringify(res.errors)}`);
    const put = await fetch(ticket.uploadUrl, { method: 'PUT', body: bytes, headers: { 'content-type': 'text/plain' } });
    expect(put.status).toBe(201);
    const ready = await retry(
      () => post<{ file: { status: string } | null }>(token, 'query($id: ID!) { file(id: $id) { status } }', { id: ticket.file.id }),
      (r) => r.data?.file?.status === 'READY',
    );
    expect(ready.data?.file?.status).toBe('READY');
    return ticket.file.id;
  }

  const MESSAGE = gql`
    fragment ToolMessage on Message {
      id
      status
      content
      toolCalls {
        id
        name
        arguments
        outcome
        summary
        durationMs
      }
      citations {
        fileId
        file {
          id
          filename
        }
        filename
        chunkIndex
        snippet
      }
    }
  `;
  const SEND = gql`
    mutation Send($input: SendMessageInput!) {
      sendMessage(input: $input) {
        conversation {
          id
        }
        assistantMessage {
          id
        }
        streamId
      }
    }
  `;
  const STREAM = gql`
    subscription Stream($streamId: ID!) {
      messageStream(streamId: $streamId) {
        seq
        kind
        delta
        done
        status
        toolCall {
          id
          name
          arguments
          phase
          outcome
          summary
          durationMs
        }
        message {
          ...ToolMessage
        }
      }
    }
    ${MESSAGE}
  `;
  const BRANCH = gql`
    query Branch($id: ID!) {
      conversation(id: $id) {
        currentBranch {
          ...ToolMessage
        }
      }
    }
    ${MESSAGE}
  `;

  interface ToolCallView {
    id: string;
    name: string;
    arguments: string;
    outcome: string;
    summary: string;
    durationMs: number;
  }
  interface MessageView {
    id: string;
    status: string;
    content: string;
    toolCalls: ToolCallView[];
    citations: Array<{
      fileId: string;
      file: { id: string; filename: string } | null;
      filename: string;
      chunkIndex: number;
      snippet: string;
    }>;
  }
  interface ChunkView {
    seq: number;
    kind: string;
    delta: string;
    done: boolean;
    status: string | null;
    toolCall: { id: string; name: string; phase: string; outcome: string | null; summary: string | null; durationMs: number | null } | null;
    message: MessageView | null;
  }

  /** Sends `content` in a thread of `assistantId` and collects every chunk until done; returns the cache's message then. */
  async function turn(
    client: ApolloClient,
    input: Record<string, unknown>,
  ): Promise<{ chunks: ChunkView[]; cached: MessageView | null; conversationId: string; messageId: string }> {
    const sent = await client.mutate<{ sendMessage: { conversation: { id: string }; assistantMessage: { id: string }; streamId: string } }>(
      {
        mutation: SEND,
        variables: { input },
      },
    );
    const payload = sent.data?.sendMessage;
    if (!payload) throw new Error(`sendMessage failed: ${String(sent.error)}`);
    const chunks: ChunkView[] = [];
    let cached: MessageView | null = null;
    await new Promise<void>((resolve, reject) => {
      const subscription = client
        .subscribe<{ messageStream: ChunkView }>({ query: STREAM, variables: { streamId: payload.streamId } })
        .subscribe({
          next: (result) => {
            if (result.error) return reject(result.error);
            const chunk = result.data?.messageStream;
            if (!chunk) return;
            chunks.push(chunk);
            if (chunk.done)
              cached = client.readFragment<MessageView>({
                id: client.cache.identify({ __typename: 'Message', id: payload.assistantMessage.id }),
                fragment: MESSAGE,
                fragmentName: 'ToolMessage',
              });
          },
          error: (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
          complete: () => {
            subscription.unsubscribe();
            resolve();
          },
        });
    });
    return { chunks, cached, conversationId: payload.conversation.id, messageId: payload.assistantMessage.id };
  }

  afterAll(async () => {
    for (const client of clients) client.stop();
    for (const ws of sockets) await ws.dispose();
  });

  test(`${name}: file_search in an assistant thread: streamed as tool call chunks, cited, held by the client and shown after a reload`, async () => {
    const ada = await register('ada@example.com', 'Ada');
    const bob = await register('bob@example.com', 'Bob');
    const fileId = await upload(ada.token, 'birds.txt', 'The peregrine falcon is the fastest bird: it dives at 390 km/h.');
    const created = await post<{ createAssistant: { id: string } }>(
      ada.token,
      'mutation($input: CreateAssistantInput!) { createAssistant(input: $input) { id } }',
      { input: { name: 'Birder', instructions: 'Cite your sources.', model: 'local-demo', tools: ['file_search'], fileIds: [fileId] } },
    );
    const assistantId = created.data?.createAssistant.id;
    if (!assistantId) throw new Error(`createAssistant failed: ${JSON.stringify(created.errors)}`);

    const client = apolloClient(ada.token);
    // Conversation learns of the assistant from its event: retry the first send while it catches up.
    await retry(
      () =>
        post(ada.token, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { streamId } }', {
          input: { content: 'hi', assistantId },
        }),
      (res) => !res.errors,
    );
    // ai-gateway's chunk index catches up with `file.chunked` asynchronously too (READY comes first):
    // a turn that found nothing is asked again, a bounded number of times.
    let ada1 = await turn(client, { content: 'search: falcon dives', assistantId });
    for (let i = 0; i < 40 && ada1.chunks.some((c) => c.toolCall?.summary?.startsWith('no passage')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ada1 = await turn(client, { content: 'search: falcon dives', assistantId });
    }
    const { chunks, cached, conversationId, messageId } = ada1;

    const tools = chunks.filter((c) => c.kind === 'TOOL_CALL');
    expect(tools.map((c) => [c.toolCall?.name, c.toolCall?.phase, c.toolCall?.outcome ?? null])).toEqual([
      ['file_search', 'STARTED', null],
      ['file_search', 'ENDED', 'OK'],
    ]);
    expect(tools[1]?.toolCall?.summary).toBe('1 passage from "birds.txt"');
    // The order a client renders: start, the call, then the answer's text, then done.
    expect(chunks.map((c) => c.kind).filter((k, i, all) => k !== all[i - 1])).toEqual(['START', 'TOOL_CALL', 'DELTA', 'DONE']);
    const answer = chunks.map((c) => c.delta).join('');
    expect(answer).toContain('[1] "birds.txt" (chunk 0)');

    const done = chunks.at(-1);
    expect(done).toMatchObject({ done: true, status: 'COMPLETE' });
    const expected = {
      id: messageId,
      status: 'COMPLETE',
      content: answer,
      toolCalls: [
        expect.objectContaining({
          id: tools[0]?.toolCall?.id,
          name: 'file_search',
          arguments: JSON.stringify({ query: 'falcon dives' }),
          outcome: 'OK',
        }),
      ],
      citations: [
        expect.objectContaining({
          fileId,
          file: expect.objectContaining({ id: fileId, filename: 'birds.txt' }),
          filename: 'birds.txt',
          chunkIndex: 0,
          snippet: 'The peregrine falcon is the fastest bird: it dives at 390 km/h.',
        }),
      ],
    };
    expect(done?.message).toMatchObject(expected);
    // What the client holds the moment the final chunk arrives...
    expect(cached).toMatchObject(expected);
    // ...and what a reload shows.
    const reloaded = await client.query<{ conversation: { currentBranch: MessageView[] } }>({
      query: BRANCH,
      variables: { id: conversationId },
      fetchPolicy: 'network-only',
    });
    expect(reloaded.data?.conversation.currentBranch.find((m) => m.id === messageId)).toMatchObject(expected);

    // Bob may use the assistant once it is public: its knowledge is searched, but the file stays Ada's.
    const shared = await post(ada.token, 'mutation($id: ID!) { shareAssistant(id: $id, visibility: PUBLIC) { version } }', {
      id: assistantId,
    });
    expect(shared.errors).toBeUndefined();
    const bobClient = apolloClient(bob.token);
    await retry(
      () =>
        post(bob.token, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { streamId } }', {
          input: { content: 'hi', assistantId },
        }),
      (res) => !res.errors,
    );
    const bobs = await turn(bobClient, { content: 'search: falcon', assistantId });
    expect(bobs.chunks.at(-1)?.message?.citations).toEqual([
      expect.objectContaining({ fileId, file: null, filename: 'birds.txt', chunkIndex: 0 }),
    ]);
  }, 240_000);

  test(`${name}: a provider's tool call (real openai SDK, fake server): the second request carries the file_search result`, async () => {
    const fake = target.fake?.();
    if (!fake) return;
    const cy = await register(`cy-${Date.now()}@example.com`, 'Cy');
    const fileId = await upload(cy.token, 'manual.txt', 'Reset the router by holding the button for ten seconds.');
    const created = await post<{ createAssistant: { id: string } }>(
      cy.token,
      'mutation($input: CreateAssistantInput!) { createAssistant(input: $input) { id } }',
      { input: { name: 'Helpdesk', instructions: 'Use the manual.', model: FAKE_TOOL_MODEL, tools: ['file_search'], fileIds: [fileId] } },
    );
    const assistantId = created.data?.createAssistant.id;
    if (!assistantId) throw new Error(`createAssistant failed: ${JSON.stringify(created.errors)}`);
    const client = apolloClient(cy.token);
    fake.script('gpt-tools', { text: 'warm-up' });
    await retry(
      () =>
        post(cy.token, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { streamId } }', {
          input: { content: 'hi', assistantId },
        }),
      (res) => !res.errors,
    );
    let found: Awaited<ReturnType<typeof turn>> | undefined;
    for (let i = 0; i < 40 && !found?.chunks.at(-1)?.message?.citations.length; i++) {
      fake.script('gpt-tools', [
        { toolCalls: [{ name: 'file_search', arguments: JSON.stringify({ query: 'reset router' }), id: `call_${i}` }] },
        { text: 'Hold the button for ten seconds [1].' },
      ]);
      found = await turn(client, { content: 'How do I reset it?', assistantId });
    }
    const last = found?.chunks.at(-1);
    expect(last).toMatchObject({ done: true, status: 'COMPLETE' });
    expect(last?.message).toMatchObject({
      content: 'Hold the button for ten seconds [1].',
      toolCalls: [expect.objectContaining({ name: 'file_search', outcome: 'OK' })],
      citations: [expect.objectContaining({ fileId, chunkIndex: 0 })],
    });
    // The request after the tool call: the instructions, the question, the call and its result.
    const sent = fake.requestsFor('gpt-tools').at(-1);
    const messages = sent?.body.messages as Array<{ role: string; content: string | null; tool_call_id?: string }>;
    expect(messages[0]).toMatchObject({ role: 'system', content: 'Use the manual.' });
    const result = messages.at(-1);
    expect(result).toMatchObject({ role: 'tool' });
    expect(JSON.parse(String(result?.content))).toMatchObject({
      query: 'reset router',
      passages: [expect.objectContaining({ fileId, file: 'manual.txt', text: 'Reset the router by holding the button for ten seconds.' })],
    });
  }, 240_000);
}
