/**
 * The plain-HTTP GraphQL client the end-to-end suites share: a POST to the router's `/graphql`
 * with or without a bearer token, registration, and bounded polling for what arrives
 * asynchronously (events, read models). Suites that test what Apollo Client or graphql-ws hold use
 * those libraries themselves; this is for setting up and reading back.
 */

/** A GraphQL answer as the router sends it. */
export interface GqlResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** Sends one operation, signed in with `token` or anonymous, with extra `headers` if given (e.g. a User-Agent). */
export type Gql = <T>(
  token: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
) => Promise<GqlResponse<T>>;

/** The password every test account uses (long enough for identity's rules). */
export const TEST_PASSWORD = 'a perfectly fine passphrase';

/** A client of the router whose `/graphql` URL `url()` answers (read at each call: stacks start later). */
export function graphQL(url: () => string): Gql {
  return async <T>(
    token: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GqlResponse<T>> => {
    const res = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResponse<T>;
  };
}

/** Registers an account (named after the e-mail's local part unless `name` is given); throws with the errors if refused. */
export async function registerUser(gql: Gql, email: string, name = email.split('@')[0]): Promise<{ token: string; userId: string }> {
  const res = await gql<{ register: { accessToken: string; user: { id: string } } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    { input: { email, name, password: TEST_PASSWORD } },
  );
  if (!res.data) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return { token: res.data.register.accessToken, userId: res.data.register.user.id };
}

/** Reads until `done` holds, at most `tries` times 25 ms apart (never a clock); resolves the last value read. */
export async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, tries = 400): Promise<T> {
  let value = await read();
  for (let i = 1; i < tries && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}
