/**
 * Cost of authentication: argon2id hashing/verification with identity's default parameters (the
 * price of one login), Ed25519 access-token signing/verification (the router's per-request cost),
 * and the router->subgraph HMAC signature. Same process, same run.
 *
 *   pnpm bench:auth
 */
import { generateKeyPairSync } from 'node:crypto';
import argon2 from 'argon2';
import { JWT_AUDIENCE, JWT_ISSUER, loadConfig, signJwt, signRequest, verifyJwt, verifyRequest } from '@chatgraph/kit';
import { identityConfigSpec } from '@chatgraph/identity';

function time<T>(label: string, iterations: number, fn: () => T): void {
  for (let i = 0; i < Math.min(100, iterations); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const perOpUs = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  console.log(`${label.padEnd(40)} ${perOpUs.toFixed(1).padStart(9)} µs/op   ${(1e6 / perOpUs).toFixed(0).padStart(8)} ops/s`);
}

async function timeAsync(label: string, iterations: number, fn: () => Promise<unknown>): Promise<void> {
  await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  const perOpMs = Number(process.hrtime.bigint() - start) / 1e6 / iterations;
  console.log(`${label.padEnd(40)} ${perOpMs.toFixed(1).padStart(9)} ms/op   ${(1000 / perOpMs).toFixed(1).padStart(8)} ops/s (one core)`);
}

async function main(): Promise<void> {
  const config = loadConfig(identityConfigSpec, { INTERNAL_SIGNING_SECRET: 'x'.repeat(32) });
  const params = {
    type: argon2.argon2id,
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
  } as const;
  console.log(`\nauth cost, Node ${process.version}; argon2id m=${params.memoryCost} KiB t=${params.timeCost} p=${params.parallelism}`);
  const hash = await argon2.hash('correct horse battery staple', params);
  await timeAsync('argon2id hash (register, change password)', 20, () => argon2.hash('correct horse battery staple', params));
  await timeAsync('argon2id verify (login)', 20, () => argon2.verify(hash, 'correct horse battery staple'));

  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    sub: 'user',
    role: 'USER' as const,
    sid: 'session',
    iat: now,
    exp: now + 900,
    jti: 'j',
  };
  const token = signJwt(claims, { kid: 'k', privateKey });
  time('Ed25519 JWT sign (identity, per login)', 20_000, () => signJwt(claims, { kid: 'k', privateKey }));
  time('Ed25519 JWT verify (router, per request)', 20_000, () => verifyJwt(token, publicKey));

  const secret = 's'.repeat(32);
  const body = JSON.stringify({ query: 'query Me { me { id name email role } }' });
  const principal = { kind: 'user' as const, userId: 'user', role: 'USER' as const, via: 'jwt' as const, sessionId: 'session' };
  const headers = signRequest(secret, principal, body);
  time('HMAC principal sign (router, per fetch)', 50_000, () => signRequest(secret, principal, body));
  time('HMAC principal verify (subgraph, per request)', 50_000, () => verifyRequest(secret, headers, body, { maxSkewMs: 30_000 }));
}

void main();
