import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  codedError,
  createSubgraph,
  jwkFromPublicKey,
  JWT_AUDIENCE,
  JWT_ISSUER,
  requireUser,
  sendJson,
  signJwt,
  type Logger,
  type Principal,
  type RequestContext,
  type Role,
  type Subgraph,
} from '@chatgraph/kit';

/**
 * A stand-in for the identity subgraph with the same contracts — JWKS, signed API-key
 * verification, `User @key(fields: "id")` with `me` — small enough for router tests to control:
 * they publish and rotate keys, issue and revoke API keys, and count the calls the router makes.
 * It is a real subgraph server built with the kit, not a mock.
 */
export const TEST_IDENTITY_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type User @key(fields: "id") {
    id: ID!
    name: String!
    role: String!
    "Another user, endlessly: lets tests build deep operations."
    friend: User!
  }
  type Query {
    me: User
    "The principal this subgraph received, as JSON: what the router forwarded."
    principal: String!
  }
  type Mutation {
    rename(name: String!): User!
  }
`;

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

interface IssuedKey {
  userId: string;
  role: Role;
  scopes: string[];
  apiKeyId: string;
  revoked: boolean;
}

export interface TokenOptions {
  sub?: string;
  role?: Role;
  sid?: string;
  /** Seconds from now; negative for an expired token. Default 300. */
  expiresIn?: number;
  /** Sign with this key instead of the current published one. */
  key?: SigningKey;
}

export interface TestIdentity {
  readonly subgraph: Subgraph;
  /** Base URL (what the router takes as IDENTITY_URL). */
  readonly url: string;
  /** GraphQL endpoint. */
  readonly graphqlUrl: string;
  /** Calls received, by route. */
  readonly calls: { jwks: number; verify: number };
  signToken(options?: TokenOptions): string;
  /** A new key pair that is not published (yet). */
  newKey(): SigningKey;
  /** Publishes a key and makes it the one `signToken` uses. */
  publishKey(key: SigningKey): void;
  issueApiKey(userId: string, scopes: string[], role?: Role): string;
  revokeApiKey(key: string): void;
  /** Makes the verify route answer 500 (identity broken but listening). */
  failVerification(fail: boolean): void;
  stop(): Promise<void>;
}

export interface TestIdentityOptions {
  signingSecret: string;
  logger: Logger;
  port?: number;
}

export async function startTestIdentity(options: TestIdentityOptions): Promise<TestIdentity> {
  const newKey = (): SigningKey => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return { kid: randomBytes(6).toString('hex'), privateKey, publicKey };
  };
  const published: SigningKey[] = [newKey()];
  const apiKeys = new Map<string, IssuedKey>();
  const names = new Map<string, string>();
  const calls = { jwks: 0, verify: 0 };
  let verificationFails = false;

  const userOf = (id: string): { id: string; name: string; role: string; friend: () => unknown } => ({
    id,
    name: names.get(id) ?? `User ${id}`,
    role: 'USER',
    friend: () => userOf(`${id}+`),
  });

  const subgraph = createSubgraph<RequestContext>({
    name: 'identity',
    typeDefs: TEST_IDENTITY_SDL,
    logger: options.logger,
    signingSecret: options.signingSecret,
    context: (base) => base,
    resolvers: {
      Query: {
        me: (_p: unknown, _a: unknown, ctx: RequestContext) => (ctx.principal.kind === 'user' ? userOf(ctx.principal.userId) : null),
        principal: (_p: unknown, _a: unknown, ctx: RequestContext) => JSON.stringify(ctx.principal),
      },
      Mutation: {
        rename: (_p: unknown, args: { name: string }, ctx: RequestContext) => {
          const user = requireUser(ctx);
          if (args.name.length === 0) throw codedError('BAD_USER_INPUT', 'name must not be empty', { field: 'name' });
          names.set(user.userId, args.name);
          return userOf(user.userId);
        },
      },
      User: { __resolveReference: (ref: { id: string }) => userOf(ref.id) },
    },
    publicRoutes: [
      {
        method: 'GET',
        path: '/.well-known/jwks.json',
        handler: (_req, res) => {
          calls.jwks++;
          sendJson(res, 200, { keys: published.map((k) => jwkFromPublicKey(k.kid, k.publicKey)) });
        },
      },
    ],
    signedRoutes: [
      {
        method: 'POST',
        path: '/internal/api-keys/verify',
        handler: (req, res, principal: Principal) => {
          calls.verify++;
          if (principal.kind !== 'service' || principal.name !== 'router') return sendJson(res, 403, { error: 'router only' });
          if (verificationFails) return sendJson(res, 500, { error: 'broken' });
          const { key } = JSON.parse(req.body.toString('utf8')) as { key?: unknown };
          const issued = typeof key === 'string' ? apiKeys.get(key) : undefined;
          if (!issued || issued.revoked) return sendJson(res, 401, { error: 'invalid api key' });
          sendJson(res, 200, {
            principal: {
              kind: 'user',
              userId: issued.userId,
              role: issued.role,
              via: 'apiKey',
              apiKeyId: issued.apiKeyId,
              scopes: issued.scopes,
            },
          });
        },
      },
    ],
  });
  const url = await subgraph.start(options.port ?? 0);

  return {
    subgraph,
    url,
    graphqlUrl: `${url}/graphql`,
    calls,
    signToken(token: TokenOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      const key = token.key ?? published[published.length - 1];
      if (!key) throw new Error('no signing key');
      return signJwt(
        {
          iss: JWT_ISSUER,
          aud: JWT_AUDIENCE,
          sub: token.sub ?? 'u1',
          role: token.role ?? 'USER',
          sid: token.sid ?? 's1',
          iat: now,
          exp: now + (token.expiresIn ?? 300),
          jti: randomBytes(8).toString('hex'),
        },
        key,
      );
    },
    newKey,
    publishKey(key) {
      published.push(key);
    },
    issueApiKey(userId, scopes, role = 'USER') {
      const apiKeyId = randomBytes(6).toString('hex');
      const key = `cgk_${apiKeyId}_${randomBytes(18).toString('base64url')}`;
      apiKeys.set(key, { userId, role, scopes, apiKeyId, revoked: false });
      return key;
    },
    revokeApiKey(key) {
      const issued = apiKeys.get(key);
      if (issued) issued.revoked = true;
    },
    failVerification(fail) {
      verificationFails = fail;
    },
    stop: () => subgraph.stop(),
  };
}
