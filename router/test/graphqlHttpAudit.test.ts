/**
 * GraphQL over HTTP conformance: the `graphql-http` package's server audits run against a router
 * over the test graph. Every MUST audit is its own test and must pass; SHOULD and MAY results are
 * printed (and answered in docs/api.md, "GraphQL over HTTP conformance").
 */
import { serverAudits, type Audit, type AuditResult } from 'graphql-http';
import { startTestGraph, type TestGraph } from './support/testGraph';

/** The audits are listed before the router starts: they read the URL lazily, per audit. */
let graphqlUrl = '';
const audits: Audit[] = serverAudits({ url: () => graphqlUrl, fetchFn: fetch });
const musts = audits.filter((a) => a.name.startsWith('MUST'));
const recommendations = audits.filter((a) => !a.name.startsWith('MUST'));

/**
 * The SHOULD/MAY audits the router answers differently on purpose, each explained in docs/api.md
 * ("GraphQL over HTTP conformance"). Pinned so that a change either way (a new miss, or one that
 * starts passing) fails here and the docs get updated with it.
 */
/** GETs without a header a browser cannot send cross-site are refused: CSRF prevention. */
const CSRF_REFUSED_GETS = ['5A70', 'D6D5', '6A70'];
const DOCUMENTED_DEVIATIONS = [
  ...CSRF_REFUSED_GETS,
  // Parse, validation and variable-coercion failures answer 400 with a coded error, whatever the Accept.
  '572B',
  'FDE2',
  '7B9B',
];

let graph: TestGraph;
beforeAll(async () => {
  graph = await startTestGraph();
  graphqlUrl = graph.router.graphqlUrl;
});
afterAll(() => graph?.stop());

/** A failing audit's reason and the response it saw, so a failure says what the router answered. */
async function describeResult(result: AuditResult): Promise<string> {
  if (result.status === 'ok') return 'ok';
  const body = await result.response.text().catch(() => '');
  return `${result.reason} (status ${result.response.status}: ${body.slice(0, 300)})`;
}

describe('graphql-http server audits: MUST', () => {
  it('has MUST audits to run', () => {
    expect(musts.length).toBeGreaterThan(0);
  });

  it.each(musts.map((a) => [`${a.id} ${a.name}`, a] as const))('%s', async (_title, audit) => {
    const result = await audit.fn();
    expect(await describeResult(result)).toBe('ok');
  });
});

describe('graphql-http server audits: SHOULD and MAY', () => {
  it('passes every recommendation except the documented deviations', async () => {
    const lines: string[] = [];
    const notOk: string[] = [];
    for (const audit of recommendations) {
      const result = await audit.fn();
      if (result.status !== 'ok') notOk.push(audit.id);
      lines.push(
        `${result.status.padEnd(5)} ${audit.id} ${audit.name}${result.status === 'ok' ? '' : ` — ${await describeResult(result)}`}`,
      );
    }
    // The full list is printed for the reader; the misses are pinned below and answered in docs/api.md.
    process.stdout.write(`GraphQL over HTTP SHOULD/MAY audits:\n${lines.join('\n')}\n`);
    expect(notOk.sort()).toEqual([...DOCUMENTED_DEVIATIONS].sort());
  });
});

describe('graphql-http server audits: GETs refused for CSRF', () => {
  /** The audit's own fetch, plus the header Apollo clients send to pass CSRF prevention. */
  const withPreflight = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    fetch(input, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), 'apollo-require-preflight': '1' } });
  const preflighted = serverAudits({ url: () => graphqlUrl, fetchFn: withPreflight }).filter((a) => CSRF_REFUSED_GETS.includes(a.id));

  it.each(preflighted.map((a) => [`${a.id} ${a.name}`, a] as const))(
    '%s passes once the GET carries apollo-require-preflight',
    async (_title, audit) => {
      const result = await audit.fn();
      expect(await describeResult(result)).toBe('ok');
    },
  );

  it('covers every CSRF-refused audit', () => {
    expect(preflighted.map((a) => a.id).sort()).toEqual([...CSRF_REFUSED_GETS].sort());
  });
});
