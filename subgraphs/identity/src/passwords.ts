import argon2 from 'argon2';
import { codedError } from '@chatgraph/kit';
import { randomSecret } from './tokens';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * Password hashing with argon2id. `verifyNobody` runs the same verification against a fixed
 * dummy hash so that signing in with an unknown email costs what a wrong password costs and
 * the response time does not tell which addresses have accounts.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly params: Argon2Params) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.params });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      // A malformed stored hash is a failed sign-in, not an internal error with hash text in it.
      return false;
    }
  }

  /** Makes the dummy hash now, so the first unknown-email sign-in does not pay for it (and stand out). */
  async prepare(): Promise<void> {
    await this.dummy();
  }

  /** Spends one verification's worth of work and fails. */
  async verifyNobody(password: string): Promise<false> {
    await this.verify(await this.dummy(), password);
    return false;
  }

  private dummy(): Promise<string> {
    // Made with the configured parameters, so verifying against it costs what a real account's hash costs.
    this.dummyHash ??= this.hash(randomSecret());
    return this.dummyHash;
  }

  /** True when `hash` was made with other parameters than today's (upgraded on next sign-in). */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.params);
    } catch {
      return true;
    }
  }
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * The most common passwords of 8+ characters in public breach corpora. A short list catches the
 * passwords attackers try first without shipping a dictionary.
 */
const COMMON_PASSWORDS = new Set([
  'password',
  'password1',
  'password12',
  'password123',
  'password1234',
  'passw0rd',
  'p@ssw0rd',
  'p@ssword',
  '12345678',
  '123456789',
  '1234567890',
  '0123456789',
  '87654321',
  '12341234',
  '11223344',
  '12344321',
  '11111111',
  '00000000',
  '88888888',
  '99999999',
  '123123123',
  '147258369',
  '1q2w3e4r',
  '1q2w3e4r5t',
  '1qaz2wsx',
  'zaq12wsx',
  'qwertyui',
  'qwertyuiop',
  'qwerty12',
  'qwerty123',
  'qwerty1234',
  'asdfghjk',
  'asdfghjkl',
  'asdfasdf',
  'zxcvbnm1',
  'aa123456',
  'abc12345',
  'abcd1234',
  'iloveyou',
  'iloveyou1',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'superman',
  'starwars',
  'whatever',
  'trustno1',
  'letmein1',
  'welcome1',
  'welcome123',
  'admin123',
  'administrator',
  'changeme',
  'computer',
  'internet',
  'dragon12',
  'monkey12',
  'michelle',
  'jennifer',
  'samantha',
  'chatgraph',
]);

/**
 * Throws BAD_USER_INPUT naming `field` when a new password breaks a rule: 8 to 128 characters,
 * not the account's email, not a common password.
 */
export function checkNewPassword(password: string, email: string, field: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH)
    throw codedError('BAD_USER_INPUT', `Password must be at least ${PASSWORD_MIN_LENGTH} characters`, { field });
  if (length > PASSWORD_MAX_LENGTH)
    throw codedError('BAD_USER_INPUT', `Password must be at most ${PASSWORD_MAX_LENGTH} characters`, { field });
  const lowered = password.trim().toLowerCase();
  if (lowered === email.toLowerCase()) throw codedError('BAD_USER_INPUT', 'Password must not be your email address', { field });
  if (COMMON_PASSWORDS.has(lowered))
    throw codedError('BAD_USER_INPUT', 'This password is too common; choose a less guessable one', { field });
}
