import { ConfigError, createLogger, encodePrincipalRecord, PRINCIPAL_KEYS } from '@chatgraph/kit';
import { createEmbeddedKv, type KvStore } from '@chatgraph/kit/kv';
import { loadAiGatewayConfig, type AiGatewayConfig } from '../src/config';
import { principalDirectoryRoles, type RoleLookup } from '../src/tools/mcpAccess';
import { McpToolSource } from '../src/tools/mcpToolSource';
import { createMcpToolSources } from '../src/tools/mcpToolSources';
import type { ToolCallContext, ToolOutcome } from '../src/tools/types';
import { McpTestServer } from './mcpTestServer';

/**
 * The MCP tool source against a real MCP server (the SDK's server side on a local port), driven
 * only through the `ToolSource` interface the tool loop uses.
 */

const logger = createLogger({ name: 'mcp-test', level: process.env.MCP_TEST_LOG ?? 'silent' });
/** ai-gateway's configuration from `env` (plus the one variable every config needs). */
function load(env: Record<string, string>): AiGatewayConfig {
  return loadAiGatewayConfig({ INTERNAL_SIGNING_SECRET: 's'.repeat(32), ...env });
}
const everyone: RoleLookup = () => Promise.resolve('USER');

let server: McpTestServer;
const sources: McpToolSource[] = [];

beforeEach(async () => {
  server = new McpTestServer();
  await server.start();
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.close()));
  await server.stop();
});

/** A source for the test server, configured through ai-gateway's own config parsing. */
function sourceFor(entry: Record<string, unknown> = {}, roleOf: RoleLookup = everyone, env: Record<string, string> = {}): McpToolSource {
  const config = load({ MCP_SERVERS: JSON.stringify([{ name: 'tools', url: server.url, ...entry }]), ...env });
  const [source] = createMcpToolSources(config, logger, roleOf);
  if (!source) throw new Error('no source');
  sources.push(source);
  return source;
}

function ctx(userId = 'u-1', signal: AbortSignal = new AbortController().signal): ToolCallContext {
  return { userId, conversationId: 'c-1', assistantId: 'a-1', signal };
}

function failure(outcome: ToolOutcome): { code: string; summary: string } {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.content}`);
  return { code: outcome.code, summary: outcome.summary };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('configuration', () => {
  it('parses registered servers and refuses malformed ones, naming MCP_SERVERS', () => {
    const config = load({
      MCP_SERVERS: '[{"name":"weather","url":"http://127.0.0.1:1/mcp","allowedRoles":["ADMIN"],"timeoutMs":500}]',
    });
    expect(config.MCP_SERVERS).toEqual([{ name: 'weather', url: 'http://127.0.0.1:1/mcp', allowedRoles: ['ADMIN'], timeoutMs: 500 }]);
    expect(load({}).MCP_SERVERS).toEqual([]);
    for (const bad of [
      'not json',
      '{"name":"a","url":"http://x"}',
      '[{"name":"has_underscore","url":"http://x/mcp"}]',
      '[{"name":"a","url":"ftp://x/mcp"}]',
      '[{"name":"a","url":"http://x/mcp","allowedRoles":["ROOT"]}]',
      '[{"name":"a","url":"http://x/mcp","unknownField":1}]',
      '[{"name":"a","url":"http://x/mcp"},{"name":"A","url":"http://y/mcp"}]',
    ]) {
      expect(() => load({ MCP_SERVERS: bad })).toThrow(ConfigError);
      expect(() => load({ MCP_SERVERS: bad })).toThrow(/MCP_SERVERS/);
    }
  });
});

describe('definitions', () => {
  it('contacts no server for a turn that enables none of its tools', async () => {
    const source = sourceFor();
    expect(await source.definitions(['file_search', 'mcp__other__echo'], ctx())).toEqual([]);
    expect(server.listCalls).toBe(0);
  });

  it('offers the enabled tools, namespaced, with their input schemas; names a model cannot take are left out', async () => {
    const source = sourceFor();
    const definitions = await source.definitions(
      ['mcp__tools__echo', 'mcp__tools__add', 'mcp__tools__missing', 'mcp__tools__bad.name', 'file_search'],
      ctx(),
    );
    expect(definitions.map((d) => d.name)).toEqual(['mcp__tools__echo', 'mcp__tools__add']);
    const echo = definitions[0];
    expect(echo?.description).toBe('Echoes its text');
    expect(echo?.parameters).toMatchObject({ type: 'object', properties: { text: { type: 'string' } }, required: ['text'] });
    expect(echo?.parameters).not.toHaveProperty('$schema');
  });

  it('opens one session and lists once for concurrent first turns', async () => {
    const source = sourceFor();
    const lists = await Promise.all([1, 2, 3].map((n) => source.definitions(['mcp__tools__echo'], ctx(`u-${n}`))));
    expect(lists.map((list) => list.length)).toEqual([1, 1, 1]);
    expect(server.initializeCalls).toBe(1);
    expect(server.listCalls).toBe(1);
  });

  it('reuses the tool list until it is older than MCP_TOOL_LIST_TTL_MS', async () => {
    let now = 1_000;
    const [server0] = load({ MCP_SERVERS: JSON.stringify([{ name: 'tools', url: server.url }]) }).MCP_SERVERS;
    // Built directly rather than by the factory, to pin the clock of its list cache.
    const source = new McpToolSource({
      server: server0!,
      timeoutMs: 5_000,
      maxResultBytes: 1_000,
      listTtlMs: 100,
      roleOf: everyone,
      logger,
      now: () => now,
    });
    sources.push(source);
    await source.definitions(['mcp__tools__echo'], ctx());
    await source.definitions(['mcp__tools__echo'], ctx());
    expect(server.listCalls).toBe(1);
    now += 100;
    await source.definitions(['mcp__tools__echo'], ctx());
    expect(server.listCalls).toBe(2);
  });
});

describe('calls', () => {
  it('calls a tool and returns its text, sending the configured headers', async () => {
    const source = sourceFor({ headers: { 'x-api-key': 'k-123' } });
    expect(await source.call('mcp__tools__echo', { text: 'hello' }, ctx())).toEqual({ ok: true, content: 'hello', summary: 'hello' });
    expect(await source.call('mcp__tools__add', { a: 2, b: 40 }, ctx())).toMatchObject({ ok: true, content: '42' });
    expect(server.lastApiKey).toBe('k-123');
  });

  it('names blocks a tool message cannot carry, and passes structured content as JSON when there is no text', async () => {
    const source = sourceFor();
    expect(await source.call('mcp__tools__picture', {}, ctx())).toMatchObject({
      ok: true,
      content: 'a red dot\n[image image/png omitted]',
    });
    expect(await source.call('mcp__tools__stats', {}, ctx())).toMatchObject({ ok: true, content: '{"count":3}' });
  });

  it('ends a slow call TOOL_TIMEOUT and cancels the request on the server', async () => {
    const source = sourceFor({ timeoutMs: 200 });
    expect(failure(await source.call('mcp__tools__slow', {}, ctx())).code).toBe('TOOL_TIMEOUT');
    await until(() => server.cancelled === 1);
  });

  it('refuses a result over maxResultBytes with TOOL_RESULT_TOO_LARGE, and passes one within it', async () => {
    const source = sourceFor({ maxResultBytes: 1_000 });
    const large = failure(await source.call('mcp__tools__huge', { bytes: 1_001 }, ctx()));
    expect(large).toEqual({ code: 'TOOL_RESULT_TOO_LARGE', summary: '"mcp__tools__huge" returned 1001 bytes; the limit is 1000' });
    expect(await source.call('mcp__tools__huge', { bytes: 1_000 }, ctx())).toMatchObject({ ok: true, content: 'x'.repeat(1_000) });
  });

  it('stops reading a call whose response stream runs far past the limit, with TOOL_RESULT_TOO_LARGE, and cancels it', async () => {
    const source = sourceFor({ maxResultBytes: 1_000, timeoutMs: 60_000 });
    expect(failure(await source.call('mcp__tools__flood', {}, ctx()))).toEqual({
      code: 'TOOL_RESULT_TOO_LARGE',
      summary: '"mcp__tools__flood" sent more than 77536 bytes; the result limit is 1000',
    });
    await until(() => server.cancelled === 1);
    expect(await source.call('mcp__tools__echo', { text: 'after' }, ctx())).toMatchObject({ ok: true, content: 'after' });
  });

  it('applies MCP_MAX_RESULT_BYTES to servers that set no limit', async () => {
    const source = sourceFor({}, everyone, { MCP_MAX_RESULT_BYTES: '10' });
    expect(failure(await source.call('mcp__tools__huge', { bytes: 11 }, ctx())).code).toBe('TOOL_RESULT_TOO_LARGE');
  });

  it("maps the tool's own failures to TOOL_FAILED with its message", async () => {
    const source = sourceFor();
    expect(failure(await source.call('mcp__tools__fail', {}, ctx()))).toEqual({
      code: 'TOOL_FAILED',
      summary: '"mcp__tools__fail" failed: the forecast service is closed today',
    });
    expect(failure(await source.call('mcp__tools__throws', {}, ctx())).code).toBe('TOOL_FAILED');
  });

  it('stops a running call when the turn is stopped, cancelling it on the server', async () => {
    const source = sourceFor();
    const stop = new AbortController();
    const started = server.whenSlowStarted();
    const outcome = source.call('mcp__tools__slow', {}, ctx('u-1', stop.signal));
    await started;
    stop.abort();
    expect(failure(await outcome).code).toBe('TOOL_STOPPED');
    await until(() => server.cancelled === 1);
    // The session stays usable.
    expect(await source.call('mcp__tools__echo', { text: 'after' }, ctx())).toMatchObject({ ok: true, content: 'after' });
  });

  it('answers TOOL_UNKNOWN for a name the server does not list (after listing again) or of another source', async () => {
    const source = sourceFor();
    await source.definitions(['mcp__tools__echo'], ctx());
    expect(failure(await source.call('mcp__tools__nope', {}, ctx())).code).toBe('TOOL_UNKNOWN');
    expect(server.listCalls).toBe(2);
    expect(failure(await source.call('file_search', {}, ctx())).code).toBe('TOOL_UNKNOWN');
    expect(server.calls.size).toBe(0);
  });

  it('refuses arguments that are not an object with TOOL_BAD_ARGUMENTS, without calling the server', async () => {
    const source = sourceFor();
    expect(failure(await source.call('mcp__tools__echo', 'hello', ctx())).code).toBe('TOOL_BAD_ARGUMENTS');
    expect(failure(await source.call('mcp__tools__echo', ['hello'], ctx())).code).toBe('TOOL_BAD_ARGUMENTS');
    expect(server.calls.size).toBe(0);
    // The SDK's server checks arguments itself and answers with an `isError` result: the model reads why.
    const refused = failure(await source.call('mcp__tools__echo', { text: 5 }, ctx()));
    expect(refused.code).toBe('TOOL_FAILED');
    expect(refused.summary).toMatch(/Input validation error/);
    expect(server.echoRuns).toBe(0);
  });
});

describe('a server that goes away', () => {
  it('fails calls while it is down with a summary free of internals, and reconnects once it is back', async () => {
    const source = sourceFor();
    expect(await source.call('mcp__tools__echo', { text: 'one' }, ctx())).toMatchObject({ ok: true });
    const port = server.port;
    await server.stop();
    const down = failure(await source.call('mcp__tools__echo', { text: 'two' }, ctx()));
    expect(down).toEqual({ code: 'TOOL_FAILED', summary: 'MCP server "tools" is unavailable' });
    await server.start(port);
    expect(await source.call('mcp__tools__echo', { text: 'three' }, ctx())).toMatchObject({ ok: true, content: 'three' });
  });

  it('opens a new session when a restarted server no longer knows the old one, without failing the call', async () => {
    const source = sourceFor();
    expect(await source.call('mcp__tools__echo', { text: 'one' }, ctx())).toMatchObject({ ok: true });
    await server.forgetSessions();
    expect(await source.call('mcp__tools__echo', { text: 'two' }, ctx())).toMatchObject({ ok: true, content: 'two' });
    // Refused for its unknown session, then sent again on a new one: the tool ran once per call.
    expect(server.calls.get('echo')).toBe(3);
    expect(server.echoRuns).toBe(2);
  });

  it('keeps offering the last tool list while the server is down; none when it never answered', async () => {
    const source = sourceFor({}, everyone, { MCP_TOOL_LIST_TTL_MS: '0' });
    await source.definitions(['mcp__tools__echo'], ctx());
    await server.stop();
    expect((await source.definitions(['mcp__tools__echo'], ctx())).map((d) => d.name)).toEqual(['mcp__tools__echo']);
    const never = load({ MCP_SERVERS: JSON.stringify([{ name: 'gone', url: server.url }]) });
    const [gone] = createMcpToolSources(never, logger, everyone);
    sources.push(gone!);
    expect(await gone!.definitions(['mcp__gone__echo'], ctx())).toEqual([]);
  });
});

describe('per-user authorization', () => {
  let kv: KvStore;

  beforeEach(async () => {
    kv = createEmbeddedKv();
    await kv.start();
    await kv.set(PRINCIPAL_KEYS.ready, '1');
    await kv.set(PRINCIPAL_KEYS.user('u-admin'), encodePrincipalRecord({ status: 'active', role: 'ADMIN' }));
    await kv.set(PRINCIPAL_KEYS.user('u-user'), encodePrincipalRecord({ status: 'active', role: 'USER' }));
    await kv.set(PRINCIPAL_KEYS.user('u-gone'), encodePrincipalRecord({ status: 'disabled', role: 'ADMIN' }));
  });

  afterEach(() => kv.stop());

  it("admits the server's roles (from the principal directory) and users; refuses others with TOOL_FORBIDDEN before calling", async () => {
    const source = sourceFor({ allowedRoles: ['ADMIN'], allowedUsers: ['u-listed'] }, principalDirectoryRoles(kv));
    expect(await source.call('mcp__tools__echo', { text: 'a' }, ctx('u-admin'))).toMatchObject({ ok: true });
    expect(await source.call('mcp__tools__echo', { text: 'b' }, ctx('u-listed'))).toMatchObject({ ok: true });
    for (const userId of ['u-user', 'u-gone', 'u-unknown']) {
      expect(failure(await source.call('mcp__tools__echo', { text: 'c' }, ctx(userId)))).toEqual({
        code: 'TOOL_FORBIDDEN',
        summary: 'You may not use the tools of MCP server "tools"',
      });
      expect(await source.definitions(['mcp__tools__echo'], ctx(userId))).toEqual([]);
    }
    expect(server.calls.get('echo')).toBe(2);
    expect((await source.definitions(['mcp__tools__echo'], ctx('u-admin'))).map((d) => d.name)).toEqual(['mcp__tools__echo']);
  });

  it('refuses a role-restricted server while the directory is not published (fail closed)', async () => {
    await kv.del(PRINCIPAL_KEYS.ready);
    const source = sourceFor({ allowedRoles: ['ADMIN'] }, principalDirectoryRoles(kv));
    expect(failure(await source.call('mcp__tools__echo', { text: 'a' }, ctx('u-admin'))).code).toBe('TOOL_FORBIDDEN');
  });

  it('takes a role change at the next call', async () => {
    const source = sourceFor({ allowedRoles: ['ADMIN'] }, principalDirectoryRoles(kv));
    expect(await source.call('mcp__tools__echo', { text: 'a' }, ctx('u-admin'))).toMatchObject({ ok: true });
    await kv.set(PRINCIPAL_KEYS.user('u-admin'), encodePrincipalRecord({ status: 'active', role: 'USER' }));
    expect(failure(await source.call('mcp__tools__echo', { text: 'b' }, ctx('u-admin'))).code).toBe('TOOL_FORBIDDEN');
  });
});
