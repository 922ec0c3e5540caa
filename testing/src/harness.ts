import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signedGraphQL, signRequest, type GraphQLResponse, type Principal } from '@chatgraph/kit';

/** An adapter (store, bus, kv…) the harness starts before the service and stops after it. */
export interface Adapter {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What every built subgraph offers: `start(port)` answers its base URL. */
export interface StartableSubgraph {
  start(port: number): Promise<string>;
  stop(): Promise<void>;
}

/** What a service's harness builds once the data directory exists. */
export interface SubgraphParts<S extends StartableSubgraph> {
  /** Started in this order before the service, stopped in the reverse order after it. */
  adapters: Adapter[];
  /** Builds the service over the adapters (called once they are started). */
  build(): S;
  /** Runs before the service stops, e.g. to close the test's own clients. */
  beforeStop?(): Promise<void>;
}

/** The service `parts` build. */
export type ServiceOf<P extends SubgraphParts<StartableSubgraph>> = ReturnType<P['build']>;

export interface SubgraphHarnessOptions<P extends SubgraphParts<StartableSubgraph>> {
  /** Names the temp data directory (`<name>-test-…`). */
  name: string;
  /** INTERNAL_SIGNING_SECRET of the service: the harness signs as the router does. */
  secret: string;
  /** An existing data directory (a restart over the same data); a fresh temp one by default. */
  dataDir?: string;
  /** Loads the configuration and creates the adapters in `dataDir` (nothing started yet). */
  setup(dataDir: string): P;
  /** Keeps the body of every response in `responses` (for tests that scan what was answered). */
  recordResponses?: boolean;
  /** Bounded polling steps for asynchronous work; 400 unless set. */
  tries?: number;
}

/** A subgraph started on port 0 with a signed GraphQL client. */
export interface SubgraphHarness<S extends StartableSubgraph, P extends SubgraphParts<StartableSubgraph> = SubgraphParts<S>> {
  service: S;
  /** What `setup` returned: the configuration, the adapters, anything the service's tests read. */
  parts: P;
  dataDir: string;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** `<base>/graphql` */
  url: string;
  /** Bounded polling steps for asynchronous work (a real-server target raises it). */
  tries: number;
  /** Response bodies, with `recordResponses`. */
  responses: string[];
  /** A GraphQL request signed for `principal`, as the router forwards it. */
  gql<T = Record<string, unknown>>(principal: Principal, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** POSTs JSON to a signed internal route as the router would. */
  signedPost(route: string, principal: Principal, body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Stops the service, then its adapters (the data directory stays); once. */
  stop(): Promise<void>;
  /** Stops, then deletes the data directory. */
  dispose(): Promise<void>;
}

/** Stops adapters in the reverse order of `started`, each even if another fails; then throws the first failure. */
async function stopAll(started: readonly Adapter[]): Promise<void> {
  const failures: unknown[] = [];
  for (const adapter of [...started].reverse()) await adapter.stop().catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw failures[0];
}

/**
 * Starts a subgraph as a test would: a temp data directory, the adapters its configuration names
 * (embedded ones in that directory by default, real servers with `realServersEnv`), the service on
 * port 0. If anything fails to start (a real server unreachable), what did start is stopped again
 * so the suite fails with that error instead of hanging on open connections.
 */
export async function startSubgraph<P extends SubgraphParts<StartableSubgraph>>(
  options: SubgraphHarnessOptions<P>,
): Promise<SubgraphHarness<ServiceOf<P>, P>> {
  type S = ServiceOf<P>;
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), `${options.name}-test-`)));
  const started: Adapter[] = [];
  let parts: P;
  let service: S;
  let base: string;
  try {
    parts = options.setup(dataDir);
    for (const adapter of parts.adapters) {
      await adapter.start();
      started.push(adapter);
    }
    service = parts.build() as S;
    base = await service.start(0);
  } catch (error) {
    await stopAll(started).catch(() => undefined);
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = `${base}/graphql`;
  const responses: string[] = [];
  const record = (body: unknown): void => {
    if (options.recordResponses) responses.push(JSON.stringify(body));
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await parts.beforeStop?.();
      await service.stop();
      await stopAll(started);
    })();
    return stopping;
  };
  return {
    service,
    parts,
    dataDir,
    base,
    url,
    tries: options.tries ?? 400,
    responses,
    async gql<T>(principal: Principal, query: string, variables?: Record<string, unknown>) {
      const res = await signedGraphQL<T>(url, options.secret, principal, query, variables);
      record(res);
      return res;
    },
    async signedPost(route, principal, body) {
      const text = JSON.stringify(body);
      const res = await fetch(`${base}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signRequest(options.secret, principal, text) },
        body: text,
      });
      const json = (await res.json()) as Record<string, unknown>;
      record(json);
      return { status: res.status, json };
    },
    stop,
    async dispose() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
