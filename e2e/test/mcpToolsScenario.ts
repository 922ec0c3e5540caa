/**
 * MCP tools end to end through the router: a real MCP server (the SDK's, over Streamable HTTP)
 * registered with ai-gateway through `MCP_SERVERS`, an assistant enabling its tools, and a model
 * (the fake OpenAI server, through the real `openai` SDK) calling them. What the client reads back
 * is the answer, the tool calls stored on it, and what the model was sent. Run on the one-process
 * stack (mcp-tools-through-router.test.ts) and in distributed mode (mcp-tools-distributed.real.test.ts),
 * where a caller's role comes from identity's principal directory in Redis.
 */
import type { McpTestServer } from '../../subgraphs/ai-gateway/test/mcpTestServer';
import type { FakeOpenAI } from '../../subgraphs/ai-gateway/test/support/fakeOpenAI';
import { graphQL, registerUser } from './graphClient';
import { FAKE_TOOL_MODEL } from './toolLoopScenario';

/** The stack under test, the fake model it routes FAKE_TOOL_MODEL to, and its two MCP servers. */
export interface McpToolsTarget {
  url(): string;
  fake(): FakeOpenAI;
  /** Registered as `calc` (open to everyone). */
  calc: McpTestServer;
  /** Registered as `ops`, for ADMINs only. */
  admin: McpTestServer;
  /** Bounded polling steps (25 ms apart). */
  tries: number;
}

/** The `MCP_SERVERS` value registering the target's servers (started first). */
export function mcpServersEnv(calcUrl: string, adminUrl: string): string {
  return JSON.stringify([
    { name: 'calc', url: calcUrl },
    // Only ADMINs may use this one: a USER is never offered its tools.
    { name: 'ops', url: adminUrl, allowedRoles: ['ADMIN'] },
  ]);
}

/** Registers the scenario's tests on `target`. */
export function describeMcpTools(name: string, target: McpToolsTarget): void {
  interface ToolCallView {
    name: string;
    arguments: string;
    outcome: string;
    summary: string;
  }

  const post = graphQL(() => target.url());
  const register = async (email: string): Promise<string> => (await registerUser(post, email, 'Ada')).token;

  const pause = () => new Promise((resolve) => setTimeout(resolve, 25));

  /** Sends `content` in a new thread of the assistant (retried until conversation has heard of the assistant), then reads the answer once it has ended. */
  async function ask(token: string, assistantId: string, content: string) {
    const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { conversation { id } } }';
    let sent = await post<{ sendMessage: { conversation: { id: string } } }>(token, SEND, { input: { content, assistantId } });
    for (let i = 0; i < target.tries && sent.errors; i++) {
      await pause();
      sent = await post(token, SEND, { input: { content, assistantId } });
    }
    const id = sent.data?.sendMessage.conversation.id;
    if (!id) throw new Error(`sendMessage failed: ${JSON.stringify(sent.errors)}`);
    const read = () =>
      post<{ conversation: { lastMessage: { status: string; content: string; toolCalls: ToolCallView[] } | null } | null }>(
        token,
        'query($id: ID!) { conversation(id: $id) { lastMessage { status content toolCalls { name arguments outcome summary } } } }',
        { id },
      );
    let answer = await read();
    for (
      let i = 0;
      i < target.tries && ['PENDING', 'STREAMING'].includes(answer.data?.conversation?.lastMessage?.status ?? 'PENDING');
      i++
    ) {
      await pause();
      answer = await read();
    }
    return answer.data?.conversation?.lastMessage;
  }

  async function assistant(token: string, tools: string[]): Promise<string> {
    const created = await post<{ createAssistant: { id: string } }>(
      token,
      'mutation($input: CreateAssistantInput!) { createAssistant(input: $input) { id } }',
      { input: { name: 'Calculator', instructions: 'Use the tools.', model: FAKE_TOOL_MODEL, tools } },
    );
    const id = created.data?.createAssistant.id;
    if (!id) throw new Error(`createAssistant failed: ${JSON.stringify(created.errors)}`);
    return id;
  }

  /** The tool message of the last request the fake model received, and the tools that request offered. */
  function lastRequest(): { tools: string[]; toolResult: string | undefined } {
    const body = target.fake().requestsFor('gpt-tools').at(-1)?.body as
      { tools?: Array<{ function: { name: string } }>; messages: Array<{ role: string; content: string | null }> } | undefined;
    return {
      tools: (body?.tools ?? []).map((tool) => tool.function.name),
      toolResult: body?.messages.filter((m) => m.role === 'tool').at(-1)?.content ?? undefined,
    };
  }

  test(`${name}: an MCP tool enabled by an assistant is offered to the model, called, fed back, and stored on the answer; a role-restricted server only to its role`, async () => {
    // The first account registered is the bootstrap ADMIN; Ada, the second, is a USER.
    const root = await register('mcp-root@example.com');
    const token = await register('mcp-ada@example.com');
    const id = await assistant(token, ['mcp__calc__add', 'mcp__calc__huge', 'mcp__ops__echo']);
    target
      .fake()
      .script('gpt-tools', [
        { toolCalls: [{ name: 'mcp__calc__add', arguments: JSON.stringify({ a: 2, b: 3 }), id: 'call_add' }] },
        { text: 'Two and three make five.' },
      ]);
    const answer = await ask(token, id, 'What is 2 + 3?');
    expect(answer).toMatchObject({
      status: 'COMPLETE',
      content: 'Two and three make five.',
      toolCalls: [{ name: 'mcp__calc__add', arguments: JSON.stringify({ a: 2, b: 3 }), outcome: 'OK' }],
    });
    const request = lastRequest();
    // The tool's own answer reached the model; the ADMIN-only server's tool was never offered to a USER.
    expect(request.toolResult).toContain('5');
    expect(request.tools.sort()).toEqual(['mcp__calc__add', 'mcp__calc__huge']);
    expect(target.admin.listCalls).toBe(0);

    // The ADMIN is offered the restricted server's tool and may call it.
    const rootsId = await assistant(root, ['mcp__ops__echo']);
    target
      .fake()
      .script('gpt-tools', [
        { toolCalls: [{ name: 'mcp__ops__echo', arguments: JSON.stringify({ text: 'all systems nominal' }), id: 'call_echo' }] },
        { text: 'Echoed.' },
      ]);
    const echoed = await ask(root, rootsId, 'Echo the status');
    expect(echoed?.toolCalls.map((call) => [call.name, call.outcome])).toEqual([['mcp__ops__echo', 'OK']]);
    expect(lastRequest()).toEqual({ tools: ['mcp__ops__echo'], toolResult: expect.stringContaining('all systems nominal') });
    expect(target.admin.echoRuns).toBe(1);
  }, 120_000);

  test(`${name}: a huge MCP result and a tool the server does not have end with their codes, and the answer still ends`, async () => {
    const token = await register('mcp-bob@example.com');
    const id = await assistant(token, ['mcp__calc__huge', 'mcp__calc__nothing']);
    target.fake().script('gpt-tools', [
      {
        toolCalls: [
          { name: 'mcp__calc__huge', arguments: JSON.stringify({ bytes: 100_000 }), id: 'call_huge' },
          { name: 'mcp__calc__nothing', arguments: '{}', id: 'call_nothing' },
        ],
      },
      { text: 'The tools failed me.' },
    ]);
    const answer = await ask(token, id, 'Give me a lot');
    expect(answer?.status).toBe('COMPLETE');
    expect(answer?.content).toBe('The tools failed me.');
    expect(answer?.toolCalls.map((call) => [call.name, call.outcome])).toEqual([
      ['mcp__calc__huge', 'TOOL_RESULT_TOO_LARGE'],
      ['mcp__calc__nothing', 'TOOL_UNKNOWN'],
    ]);
  }, 120_000);
}
