import { codedError } from '@chatgraph/kit';

/** RFC 5321's limits: 254 characters for a whole address, 64 for its local part. */
const EMAIL_MAX_LENGTH = 254;
const LOCAL_MAX_LENGTH = 64;
const LABEL_MAX_LENGTH = 63;
const NAME_MAX_LENGTH = 100;

/**
 * Characters that must never be stored in a name or an address, because they reach other users'
 * screens, mails and logs: C0/C1 controls (NUL, CR, LF, TAB, DEL...), line/paragraph separators,
 * and the bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) that make text
 * display in another order than it is stored ("gnp.exe" shown as "exe.png").
 */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;

/**
 * Invisible characters trimmed from the ends of a name: zero-width space/joiners, word joiner,
 * BOM, bidi marks. Inside a name they stay (joiners are needed for emoji sequences and some
 * scripts); at the edges they only serve to make two names look alike or a blank name look filled.
 */
const INVISIBLE_EDGES = /^[\s\u200B-\u200F\u2060\uFEFF\u180E]+|[\s\u200B-\u200F\u2060\uFEFF\u180E]+$/gu;

/**
 * A dot-atom local part (RFC 5322 `atext`, plus letters and digits of any script, RFC 6531):
 * no quoted local parts, no comments, no leading, trailing or doubled dot.
 */
const LOCAL_PART = /^[\p{L}\p{N}\p{M}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}\p{M}!#$%&'*+/=?^_`{|}~-]+)*$/u;
/** A host-name label: letters and digits of any script, inner hyphens. */
const LABEL = /^[\p{L}\p{N}\p{M}](?:[\p{L}\p{N}\p{M}-]*[\p{L}\p{N}\p{M}])?$/u;

/**
 * The one spelling an address is stored and looked up under: Unicode NFC, trimmed, and wholly
 * lower-cased. Lower-casing the local part is a deliberate choice: RFC 5321 lets a server treat
 * `Ann` and `ann` as two mailboxes, but no mainstream provider does, and two accounts for one
 * person's inbox is the worse failure. Existing accounts are stored this way already.
 */
export function normalizeEmail(raw: string): string {
  return raw.normalize('NFC').trim().toLowerCase();
}

/** The reason `email` (already normalised) is not an address we accept, or null when it is one. */
function emailProblem(email: string): string | null {
  if (email.length === 0) return 'Email is required';
  if (email.length > EMAIL_MAX_LENGTH) return `Email must be at most ${EMAIL_MAX_LENGTH} characters`;
  if (CONTROL.test(email) || BIDI_CONTROL.test(email)) return 'Email must not contain control characters';
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (at <= 0 || local.length > LOCAL_MAX_LENGTH || !LOCAL_PART.test(local)) return 'Email is not a valid address';
  const labels = domain.split('.');
  // At least a name and a top-level domain; a numeric TLD would be an IP address, which we do not mail.
  if (labels.length < 2 || /^\d+$/.test(labels[labels.length - 1] ?? '')) return 'Email is not a valid address';
  if (!labels.every((label) => label.length <= LABEL_MAX_LENGTH && LABEL.test(label))) return 'Email is not a valid address';
  return null;
}

/** The normalised address, or BAD_USER_INPUT naming `field`. */
export function validEmail(raw: string, field = 'email'): string {
  const email = normalizeEmail(raw);
  const problem = emailProblem(email);
  if (problem) throw codedError('BAD_USER_INPUT', problem, { field });
  return email;
}

/** The normalised address, or null: for flows that must not say whether input was rejected (password reset). */
export function parseEmail(raw: string): string | null {
  // Bounded before normalising: a megabyte of input is not worth a Unicode pass.
  if (raw.length > 4 * EMAIL_MAX_LENGTH) return null;
  const email = normalizeEmail(raw);
  return emailProblem(email) ? null : email;
}

/** The domain of a valid, normalised address. */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

/**
 * A display name other users and mails will show: NFC-normalised, trimmed of whitespace and
 * invisible characters at both ends, 1 to 100 UTF-16 units (as the stored schema counts them), no
 * control characters and no bidi overrides or isolates. Anything else is BAD_USER_INPUT naming `field`.
 */
export function validName(raw: string, field = 'name'): string {
  if (raw.length > 4 * NAME_MAX_LENGTH) throw codedError('BAD_USER_INPUT', `Name must be at most ${NAME_MAX_LENGTH} characters`, { field });
  const name = raw.normalize('NFC').replace(INVISIBLE_EDGES, '');
  if (name.length === 0) throw codedError('BAD_USER_INPUT', 'Name is required', { field });
  if (name.length > NAME_MAX_LENGTH) throw codedError('BAD_USER_INPUT', `Name must be at most ${NAME_MAX_LENGTH} characters`, { field });
  if (CONTROL.test(name)) throw codedError('BAD_USER_INPUT', 'Name must not contain control characters or line breaks', { field });
  if (BIDI_CONTROL.test(name)) throw codedError('BAD_USER_INPUT', 'Name must not contain text-direction override characters', { field });
  return name;
}
