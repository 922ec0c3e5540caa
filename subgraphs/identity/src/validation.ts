import { codedError } from '@chatgraph/kit';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const EMAIL_MAX_LENGTH = 254;

/** Emails are compared trimmed and lower-cased, so `Ann@Example.com ` and `ann@example.com` are one account. */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** The normalised address, or BAD_USER_INPUT naming `field`. */
export function validEmail(raw: string, field = 'email'): string {
  const email = normalizeEmail(raw);
  if (email.length === 0) throw codedError('BAD_USER_INPUT', 'Email is required', { field });
  if (email.length > EMAIL_MAX_LENGTH || !EMAIL.test(email)) throw codedError('BAD_USER_INPUT', 'Email is not a valid address', { field });
  return email;
}

/** A trimmed display name of 1 to 100 characters, or BAD_USER_INPUT naming `field`. */
export function validName(raw: string, field = 'name'): string {
  const name = raw.trim();
  // UTF-16 length, as the stored schema counts it, so both agree on the limit.
  const length = name.length;
  if (length === 0) throw codedError('BAD_USER_INPUT', 'Name is required', { field });
  if (length > 100) throw codedError('BAD_USER_INPUT', 'Name must be at most 100 characters', { field });
  return name;
}
