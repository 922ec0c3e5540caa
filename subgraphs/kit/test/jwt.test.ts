import { generateKeyPairSync } from 'node:crypto';
import { JWT_AUDIENCE, JWT_ISSUER, jwkFromPublicKey, peekKid, publicKeyFromJwk, signJwt, verifyJwt, type AccessTokenClaims } from '../src';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const now = Math.floor(Date.now() / 1000);
const claims: AccessTokenClaims = {
  iss: JWT_ISSUER,
  aud: JWT_AUDIENCE,
  sub: 'u1',
  role: 'USER',
  sid: 's1',
  iat: now,
  exp: now + 60,
  jti: 'j1',
};

describe('Ed25519 JWT', () => {
  it('round-trips through a published JWK', () => {
    const token = signJwt(claims, { kid: 'k1', privateKey });
    expect(peekKid(token)).toBe('k1');
    const key = publicKeyFromJwk(jwkFromPublicKey('k1', publicKey));
    expect(verifyJwt(token, key)).toEqual(claims);
  });

  it('refuses a token signed by another key, tampered, or expired', () => {
    const other = generateKeyPairSync('ed25519');
    expect(() => verifyJwt(signJwt(claims, { kid: 'k1', privateKey: other.privateKey }), publicKey)).toThrow('bad-signature');
    const [h, , s] = signJwt(claims, { kid: 'k1', privateKey }).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url')}.${s}`;
    expect(() => verifyJwt(forged, publicKey)).toThrow('bad-signature');
    expect(() => verifyJwt(signJwt({ ...claims, exp: now - 60 }, { kid: 'k1', privateKey }), publicKey)).toThrow('expired');
    expect(() => peekKid('garbage')).toThrow('malformed');
  });
});
