// Registers, logs in and asks `me` through the router: the README's first-minute flow.
// Usage: node scripts/smoke.mjs http://127.0.0.1:4000/graphql
const url = process.argv[2] ?? 'http://127.0.0.1:4000/graphql';

async function gql(query, variables, token) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`${res.status} ${JSON.stringify(body.errors)}`);
  return body.data;
}

const email = `newcomer-${Date.now()}@example.com`;
const password = 'correct horse battery staple';
await gql('mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', { i: { email, password, name: 'Newcomer' } });
const { login } = await gql('mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }', { i: { email, password } });
const { me } = await gql('{ me { id email name role } }', undefined, login.accessToken);
if (me.email !== email || me.id !== login.user.id) throw new Error(`unexpected me: ${JSON.stringify(me)}`);
process.stdout.write(`register/login/me ok: ${JSON.stringify(me)}\n`);
