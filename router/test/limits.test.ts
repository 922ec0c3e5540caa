import { getIntrospectionQuery, parse, type OperationDefinitionNode } from 'graphql';
import { measureOperation } from '../src';
import { nestsDeeperThan } from '../src/sourceNesting';
import { errorCode, type GraphQLResult } from './support/http';
import { executedRequests } from './support/metrics';
import { startTestGraph, type TestGraph } from './support/testGraph';

function shapeOf(source: string): ReturnType<typeof measureOperation> {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  if (!operation) throw new Error('no operation');
  return measureOperation(document, operation);
}

describe('measureOperation', () => {
  it('measures depth, aliases and root fields', () => {
    expect(shapeOf('{ me { id } a: requestId b: requestId }')).toEqual({ depth: 2, aliases: 2, rootFields: 3 });
  });

  it('follows fragments and inline fragments when measuring depth', () => {
    const source = `
      query { me { ...A } }
      fragment A on User { id ... on User { friend { ...B } } }
      fragment B on User { friend { friend { id } } }
    `;
    expect(shapeOf(source).depth).toBe(5);
  });

  it('counts aliases and root fields as executed, through fragments spread several times', () => {
    const source = `
      query { ...Root ...Root x: me { ...F ...F } }
      fragment Root on Query { a: requestId b: requestId }
      fragment F on User { c: id d: id }
    `;
    expect(shapeOf(source)).toEqual({ depth: 2, aliases: 2 + 2 + 1 + 4, rootFields: 5 });
  });

  it('measures exponential fragment spreads quickly and reports their expanded size', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { a: requestId }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    const shape = shapeOf(`query { ...F0 } ${fragments.join('\n')}`);
    expect(shape.aliases).toBe(2 ** (levels - 1));
  });

  it('terminates on fragment cycles (which validation would reject anyway)', () => {
    const source = `
      query { me { ...A } }
      fragment A on User { friend { ...B } }
      fragment B on User { friend { ...A } }
    `;
    expect(shapeOf(source).depth).toBe(3);
    expect(shapeOf('query { ...Self } fragment Self on Query { ...Self x: me { id } }')).toEqual({ depth: 2, aliases: 1, rootFields: 1 });
  });

  it('does not count introspection depth, so the standard introspection query passes', () => {
    expect(shapeOf(getIntrospectionQuery()).depth).toBe(0);
    expect(shapeOf('{ __typename me { id } }').depth).toBe(2);
  });
});

describe('router: operation limits', () => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startTestGraph({ limits: { maxBodyBytes: 4096, maxDepth: 3, maxAliases: 2, maxRootFields: 3 } });
  });
  afterAll(() => graph.stop());

  const subgraphCalls = async (): Promise<number> =>
    (await executedRequests(graph.identity.subgraph)) + (await executedRequests(graph.profiles.subgraph));

  /** Sends an operation and checks that the router called no subgraph for it. */
  async function refusedBeforeSubgraphs(send: () => Promise<GraphQLResult>): Promise<GraphQLResult> {
    const before = await subgraphCalls();
    const res = await send();
    expect(await subgraphCalls()).toBe(before);
    return res;
  }

  it('serves operations within every limit', async () => {
    const token = graph.identity.signToken({ sub: 'kim' });
    const res = await graph.router.query('{ me { id bio } a: requestId b: requestId }', { token });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toMatchObject({ me: { id: 'kim' } });
  });

  it('refuses a body over MAX_BODY_BYTES with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await refusedBeforeSubgraphs(() => graph.router.query(`{ requestId } # ${'x'.repeat(5000)}`));
    expect(res.status).toBe(413);
    expect(errorCode(res)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a body over the limit even without a content-length (chunked)', async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ query: `{ requestId } # ${'x'.repeat(5000)}` })));
        controller.close();
      },
    });
    const res = await refusedBeforeSubgraphs(async () => {
      const response = await fetch(graph.router.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chunks,
        duplex: 'half',
      } as RequestInit);
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResult['body'] };
    });
    expect(res.status).toBe(413);
    expect(errorCode(res)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses an operation deeper than MAX_DEPTH, following fragments', async () => {
    const token = graph.identity.signToken({ sub: 'kim' });
    const atLimit = await graph.router.query('{ me { ...A } } fragment A on User { friend { ... on User { id } } }', { token });
    expect(atLimit.body).toEqual({ data: { me: { friend: { id: 'kim+' } } } });
    const tooDeep = '{ me { ...A } } fragment A on User { friend { ...B } } fragment B on User { friend { id } }';
    const res = await refusedBeforeSubgraphs(() => graph.router.query(tooDeep, { token }));
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'depth', max: 3, actual: 4 });
  });

  it('refuses more aliases than MAX_ALIASES, counting fragment expansions', async () => {
    const res = await refusedBeforeSubgraphs(() =>
      graph.router.query('{ ...F me { ...G } } fragment F on Query { a: requestId } fragment G on User { b: id c: id }'),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'aliases', max: 2, actual: 3 });
  });

  it('refuses more root fields than MAX_ROOT_FIELDS', async () => {
    const res = await refusedBeforeSubgraphs(() => graph.router.query('{ requestId me { id } ... on Query { denied boom } }'));
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'rootFields', max: 3, actual: 4 });
  });

  it('refuses a fragment cycle as invalid without hanging', async () => {
    const res = await refusedBeforeSubgraphs(() =>
      graph.router.query('{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }'),
    );
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });

  it('applies to authenticated callers too', async () => {
    const token = graph.identity.signToken({ sub: 'kim' });
    const res = await refusedBeforeSubgraphs(() => graph.router.query('{ a: requestId b: requestId c: requestId }', { token }));
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ limit: 'aliases' });
  });
});

describe('router: operation cost limit', () => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startTestGraph({ limits: { maxCost: 6 } });
  });
  afterAll(() => graph.stop());

  const subgraphCalls = async (): Promise<number> =>
    (await executedRequests(graph.identity.subgraph)) + (await executedRequests(graph.profiles.subgraph));

  it('serves an operation costing MAX_COST', async () => {
    const res = await graph.router.query('{ me { id name role friend { id } } }', { token: graph.identity.signToken({ sub: 'lee' }) });
    expect(res.body).toEqual({ data: { me: { id: 'lee', name: 'User lee', role: 'USER', friend: { id: 'lee+' } } } });
  });

  it('refuses an operation costing more than MAX_COST, following fragments, before any subgraph is called', async () => {
    const token = graph.identity.signToken({ sub: 'lee' });
    const before = await subgraphCalls();
    const res = await graph.router.query('{ me { ...U role friend { id name } } } fragment U on User { id name }', { token });
    expect(await subgraphCalls()).toBe(before);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'cost', max: 6, actual: 7 });
    expect(res.body.data).toBeUndefined();
  });
});

describe('nestsDeeperThan (the guard before parsing)', () => {
  it('counts braces, brackets and parentheses, and nothing in strings, block strings or comments', () => {
    expect(nestsDeeperThan('{ a(x: [[1]]) }', 4)).toBe(false);
    expect(nestsDeeperThan('{ a(x: [[1]]) }', 3)).toBe(true);
    expect(nestsDeeperThan('{ a(x: "{{{[[[(((\\"{{{") }', 2)).toBe(false);
    expect(nestsDeeperThan('{ a(x: """ {{{ \\""" {{{ """) }', 2)).toBe(false);
    expect(nestsDeeperThan('{ a # {{{{\n b # [[[\r c }', 1)).toBe(false);
    expect(nestsDeeperThan('{ a # {{{{\n { { } } }', 2)).toBe(true);
  });
});

describe('router: documents that would cost the parser dearly', () => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startTestGraph({ limits: { maxTokens: 100, maxBodyBytes: 2 * 1024 * 1024 } });
  });
  afterAll(() => graph.stop());

  it('refuses a document over MAX_TOKENS (a 1 MiB `{ a a a … }`) with one coded 400, and serves one within it', async () => {
    const huge = await graph.router.query(`{ ${'a '.repeat(512 * 1024)}}`);
    expect(huge.status).toBe(400);
    // One error: the parser stopped; validation never saw the half a million unknown fields.
    expect(huge.body.errors).toHaveLength(1);
    expect(huge.body.errors?.[0]?.message).toMatch(/100 tokens/);
    expect(errorCode(huge)).toBe('BAD_USER_INPUT');
    const aliases = (n: number): string => `{ ${Array.from({ length: n }, (_, i) => `f${i}: requestId`).join(' ')} }`;
    // Braces and 3 tokens per alias: 32 aliases are 98 tokens, parsed (then refused for their number); 33 are 101.
    expect((await graph.router.query(aliases(32))).body.errors?.[0]?.extensions).toMatchObject({ limit: 'aliases' });
    expect((await graph.router.query(aliases(33))).body.errors?.[0]?.message).toMatch(/100 tokens/);
  });

  it('refuses a 5,000-deep document with a coded 400 naming the limit, not a stack overflow', async () => {
    const deep = `{ ${'me { friend { '.repeat(2500)}id${' } }'.repeat(2500)} }`;
    const res = await graph.router.query(deep);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { message: 'Document nests brackets more than 256 levels deep', extensions: { code: 'BAD_USER_INPUT', limit: 'nesting', max: 256 } },
    ]);
    // Nested list values in an argument recurse in the parser just the same.
    const deepValue = await graph.router.query(`{ me(x: ${'['.repeat(5000)}${']'.repeat(5000)}) { id } }`);
    expect(deepValue.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'nesting' });
    // Brackets inside strings and comments are not nesting.
    const quoted = await graph.router.query(`{ requestId } # ${'{'.repeat(300)}`);
    expect(quoted.body.errors).toBeUndefined();
  });
});
