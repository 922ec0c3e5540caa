import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, loadConfig, type Logger } from '@chatgraph/kit';
import type { KvStore } from '@chatgraph/kit/kv';
import { PolicyDirectory } from '@chatgraph/kit/limits';
import { buildRouter, loadRouterConfig, routerDepsFromConfig, type Router, rateLimitFromConfig } from '@chatgraph/router';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';

/** One HTTP answer of `/graphql` with its headers. */
export interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** POSTs an operation; `token` as a bearer token. */
export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  extra: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

export const codeOf = (a: Answer): unknown => a.body.errors?.[0]?.extensions?.code;

export const silent = (name: string): Logger => createLogger({ name, level: 'silent' });

/** The embedded stack (limits on, as `pnpm start` runs it) plus a second router on the same kv and subgraphs. */
export interface TwoRouters {
  stack: EmbeddedStack;
  /** `/graphql` of the stack's router and of the second one. */
  urls: [string, string];
  second: Router;
  /** An ADMIN-side policy directory on the shared kv (what the rate-limit subgraph's mutations use). */
  admin: PolicyDirectory;
  register(email: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}

export const PASSWORD = 'a perfectly fine passphrase';

/**
 * `kv`: the stack's kv (subgraphs and first router; embedded when absent). `secondKv`: the second
 * router's own connection to it (a separate Redis client, as a second process would have).
 */
export async function startTwoRouters(env: Record<string, string> = {}, kv?: KvStore, secondKv?: KvStore): Promise<TwoRouters> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-limits-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', ...env }, silent, kv ? { kv } : {});
  const subgraphs = [stack.identity, stack.conversation, stack.aiGateway, stack.streaming, stack.rateLimit].map(
    ({ subgraph }) => subgraph.url,
  );
  const names = ['identity', 'conversation', 'ai-gateway', 'streaming', 'rate-limit'];
  const routerConfig = loadRouterConfig({
    ...env,
    INTERNAL_SIGNING_SECRET: stack.signingSecret,
    LOG_LEVEL: 'silent',
    IDENTITY_URL: subgraphs[0],
    SUBGRAPH_URLS: subgraphs.map((base, i) => `${names[i]}=${base}/graphql`).join(','),
  });
  const second = buildRouter({
    ...routerDepsFromConfig(routerConfig, silent('router-2')),
    principals: secondKv ?? stack.kv,
    rateLimit: rateLimitFromConfig(routerConfig, secondKv ?? stack.kv),
  });
  const secondUrl = `${await second.start()}/graphql`;
  const admin = new PolicyDirectory({ kv: stack.kv, logger: silent('admin') });
  await admin.start();
  return {
    stack,
    urls: [stack.url, secondUrl],
    second,
    admin,
    async register(email, password = PASSWORD) {
      const answer = await gql(stack.url, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', {
        input: { email, password, name: email.split('@')[0] },
      });
      const token = (answer.body.data?.register as { accessToken?: string } | undefined)?.accessToken;
      if (!token) throw new Error(`register failed: ${JSON.stringify(answer.body)}`);
      return token;
    },
    async stop() {
      await admin.stop();
      await second.stop();
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds (at most ~5 s). */
export async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition never held');
}
