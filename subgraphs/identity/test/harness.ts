import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type UserPrincipal } from '@chatgraph/kit';
import { createEmbeddedStore, type DocumentStore } from '@chatgraph/kit/store';
import type { KvStore } from '@chatgraph/kit/kv';
import { createRecordingMailer, type RecordingMailer } from '@chatgraph/kit/mail';
import { ANON, ok, startSubgraph, type SubgraphHarness } from '@chatgraph/test-support';
import { loadIdentityConfig, type IdentityConfig } from '../src/config';
import { buildIdentity, type Identity } from '../src/server';

export { ANON, codeOf, ok, ROUTER } from '@chatgraph/test-support';

export const SECRET = 'identity-test-secret-0123456789abcdef0123';
export const PASSWORD = 'correct horse battery staple';

/** A clock tests move by hand, starting at the real time so tokens also verify against the system clock. */
export class TestClock {
  private ms = Date.now();
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface Harness extends SubgraphHarness<Identity> {
  identity: Identity;
  store: DocumentStore;
  mailer: RecordingMailer;
  clock: TestClock;
  config: IdentityConfig;
  /** Every log line the service wrote. */
  logs: string[];
}

export interface HarnessOptions {
  dataDir?: string;
  env?: Record<string, string>;
  clock?: TestClock;
  /** Decorates the store, e.g. to count queries. */
  wrapStore?: (store: DocumentStore) => DocumentStore;
  /** The kv the principal directory is published in (started and stopped by the caller). */
  kv?: KvStore;
}

/** Starts identity as a test would: port 0, a temp data directory, a recording mailer, a movable clock; every response kept. */
export async function startIdentity(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new TestClock();
  const logs: string[] = [];
  const logger = createLogger({
    name: 'identity',
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  });
  const h = await startSubgraph({
    name: 'identity',
    secret: SECRET,
    dataDir: options.dataDir,
    recordResponses: true,
    setup(dataDir) {
      // A cheaper argon2 than production keeps the suite fast; the parameters still flow from config.
      // Suites register dozens of accounts at example.com: sign-up limits are off unless a test sets them (limits.test.ts).
      const config = loadIdentityConfig({
        INTERNAL_SIGNING_SECRET: SECRET,
        DATA_DIR: dataDir,
        ARGON2_MEMORY_KIB: '4096',
        ARGON2_TIME_COST: '1',
        REGISTRATION_LIMIT: '0',
        REGISTRATION_DOMAIN_LIMIT: '0',
        ...options.env,
      });
      const raw = createEmbeddedStore({ dataDir: path.join(dataDir, 'identity') });
      const store = options.wrapStore ? options.wrapStore(raw) : raw;
      const mailer = createRecordingMailer();
      return {
        config,
        store,
        mailer,
        adapters: [store],
        build: () => buildIdentity({ store, mailer, config, logger, now: clock.now, kv: options.kv }),
      };
    },
  });
  const { config, store, mailer } = h.parts;
  return { ...h, identity: h.service, store, mailer, clock, config, logs };
}

export interface Auth {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: string;
  user: { id: string; email: string; name: string; role: 'USER' | 'ADMIN'; emailVerified: boolean; createdAt: string };
}

export const AUTH_FIELDS = 'accessToken refreshToken accessTokenExpiresAt user { id email name role emailVerified createdAt }';

/** The claims of an access token, read without verifying (tests verify separately). */
export function claimsOf(token: string): { sub: string; role: 'USER' | 'ADMIN'; sid: string; exp: number; iat: number } {
  const body = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as ReturnType<typeof claimsOf>;
}

/** The principal the router would forward for this access token. */
export function principalOf(auth: Pick<Auth, 'accessToken'>): UserPrincipal {
  const claims = claimsOf(auth.accessToken);
  return { kind: 'user', userId: claims.sub, role: claims.role, via: 'jwt', sessionId: claims.sid };
}

export async function register(h: Harness, email: string, name = 'Test User', password = PASSWORD): Promise<Auth> {
  const res = await h.gql(ANON, `mutation($input: RegisterInput!) { register(input: $input) { ${AUTH_FIELDS} } }`, {
    input: { email, password, name },
  });
  return ok<Auth>(res, 'register');
}

export async function login(h: Harness, email: string, password = PASSWORD) {
  return h.gql(ANON, `mutation($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`, { input: { email, password } });
}

export async function refresh(h: Harness, refreshToken: string) {
  return h.gql(ANON, `mutation($t: String!) { refreshSession(refreshToken: $t) { ${AUTH_FIELDS} } }`, { t: refreshToken });
}

/** The token in the last mail sent to `to` whose link contains `pathPart`. */
export async function mailedToken(h: Harness, to: string, pathPart: 'verify-email' | 'reset-password'): Promise<string> {
  await h.identity.service.mailSettled();
  const mails = h.mailer.to(to).filter((m) => m.text.includes(`/${pathPart}?token=`));
  const last = mails[mails.length - 1];
  if (!last) throw new Error(`no ${pathPart} mail to ${to}`);
  const match = new RegExp(`/${pathPart}\\?token=([^\\s]+)`).exec(last.text);
  return decodeURIComponent(match?.[1] ?? '');
}
