import {
  ANON,
  AUTH_FIELDS,
  codeOf,
  mailedToken,
  ok,
  PASSWORD,
  principalOf,
  register,
  startIdentity,
  type Auth,
  type Harness,
} from './harness';

/**
 * Names and addresses reach other users' screens, mails and logs: what a user types is
 * normalised, and what could disguise or break text (controls, line breaks, bidi overrides) is
 * refused with BAD_USER_INPUT naming the field, changing nothing.
 */
let h: Harness;
beforeAll(async () => {
  // Links are built on the configured base, path prefix included.
  h = await startIdentity({ env: { PUBLIC_URL: 'https://chat.example.org/app/' } });
});
afterAll(() => h.dispose());

const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { ${AUTH_FIELDS} } }`;
const attempt = (email: string, name = 'Someone') => h.gql(ANON, REGISTER, { i: { email, password: PASSWORD, name } });
const rename = (auth: Auth, name: string) =>
  h.gql(principalOf(auth), 'mutation($n: String!) { updateProfile(input: { name: $n }) { name } }', { n: name });
const myName = async (auth: Auth) => ok<{ name: string }>(await h.gql(principalOf(auth), '{ me { name } }'), 'me').name;

describe('display names', () => {
  const refused: Array<[string, string]> = [
    ['NUL', 'Ann\u0000Admin'],
    ['CR/LF', 'Ann\r\nBcc: victim@example.com'],
    ['LF', 'Ann\nAdmin'],
    ['TAB', 'Ann\tAdmin'],
    ['DEL', 'Ann\u007F'],
    ['C1 next-line', 'Ann\u0085Admin'],
    ['line separator', 'Ann\u2028Admin'],
    ['right-to-left override', 'Ann \u202Egnp.exe'],
    ['left-to-right embedding', 'Ann \u202Atext'],
    ['right-to-left isolate', 'Ann \u2067text\u2069'],
    ['first-strong isolate', 'Ann \u2068text'],
  ];

  it.each(refused)('refuses a name with %s at sign-up, creating no account', async (_label, name) => {
    const email = `name-${Math.random().toString(36).slice(2)}@example.com`;
    const res = await attempt(email, name);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    // Nothing was created: the address is still free.
    expect(codeOf(await attempt(email, 'Fine Name'))).toBeUndefined();
  });

  it.each(refused)('refuses a new name with %s and keeps the old one', async (_label, name) => {
    const auth = await register(h, `rename-${Math.random().toString(36).slice(2)}@example.com`, 'Old Name');
    const res = await rename(auth, name);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(await myName(auth)).toBe('Old Name');
  });

  it('stores names in NFC, trims invisible characters at the edges and keeps joiners inside', async () => {
    const auth = await register(h, 'nfc@example.com', '\u200B Jose\u0301 \uFEFF');
    expect(auth.user.name).toBe('José');
    expect(auth.user.name).toHaveLength(4);
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} Family';
    expect(ok<{ name: string }>(await rename(auth, family), 'updateProfile').name).toBe(family);
  });

  it('refuses a name made only of invisible characters, and one longer than 100 characters', async () => {
    expect((await attempt('invisible@example.com', '\u200B\u200D\u2060')).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'name',
    });
    expect((await attempt('huge@example.com', 'n'.repeat(100_000))).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'name',
    });
  });

  it('applies to API key names too', async () => {
    const auth = await register(h, 'keyname@example.com');
    const res = await h.gql(principalOf(auth), 'mutation($n: String!) { createApiKey(input: { name: $n }) { secret } }', {
      n: 'ci\u202Eyek',
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
  });
});

describe('email addresses', () => {
  it.each([
    ['NUL', 'ann\u0000@example.com'],
    ['NUL after the domain', 'ann@example.com\u0000'],
    ['CR/LF', 'ann@example.com\r\nBcc: victim@example.com'],
    ['a right-to-left override', 'ann\u202E@example.com'],
    ['an inner space', 'ann smith@example.com'],
    ['a quoted local part', '"ann smith"@example.com'],
    ['a leading dot', '.ann@example.com'],
    ['a doubled dot', 'ann..smith@example.com'],
    ['a local part over 64 characters', `${'a'.repeat(65)}@example.com`],
    ['a numeric top-level domain', 'ann@10.0.0.1'],
    ['a label starting with a hyphen', 'ann@-example.com'],
    ['an empty label', 'ann@example..com'],
    ['a comma', 'ann@example.com,victim@example.com'],
    ['angle brackets', 'Ann <ann@example.com>'],
  ])('refuses an address with %s', async (_label, email) => {
    const res = await attempt(email);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
  });

  it('normalises: NFC, trimmed, lower-cased (local part included); plus-addressing and other scripts accepted', async () => {
    expect((await register(h, '  Ann+Chat@Example.ORG ')).user.email).toBe('ann+chat@example.org');
    expect((await register(h, 'Jose\u0301@Exa\u0301mple.com')).user.email).toBe('josé@exámple.com');
  });
});

describe('account mails', () => {
  it('carry no user-provided text, and their links are the configured base plus an encoded token', async () => {
    await register(h, 'mailed@example.com', 'Visit https://evil.example.net now');
    const token = await mailedToken(h, 'mailed@example.com', 'verify-email');
    const [mail] = h.mailer.to('mailed@example.com');
    expect(mail?.text).not.toContain('evil');
    expect(mail?.subject).toBe('Confirm your ChatGraph email address');
    const links = mail?.text.match(/https?:\/\/\S+/g) ?? [];
    expect(links).toEqual([`https://chat.example.org/app/verify-email?token=${encodeURIComponent(token)}`]);
    expect(mail?.kind).toBe('email-verification');

    h.mailer.clear();
    await h.gql(ANON, 'mutation { requestPasswordReset(email: "mailed@example.com") }');
    const reset = await mailedToken(h, 'mailed@example.com', 'reset-password');
    const resetMail = h.mailer.to('mailed@example.com')[0];
    expect(resetMail?.text).not.toContain('evil');
    expect(resetMail?.text.match(/https?:\/\/\S+/g)).toEqual([
      `https://chat.example.org/app/reset-password?token=${encodeURIComponent(reset)}`,
    ]);
  });
});
