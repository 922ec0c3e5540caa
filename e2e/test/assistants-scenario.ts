/**
 * The assistants scenario through the router, shared by the one-process stack
 * (assistants-through-router.test.ts) and the distributed one on FerretDB and Kafka
 * (assistants-distributed.real.test.ts): two users; Ada creates an assistant, which Bob cannot see
 * until she shares it with him; then he may read and duplicate it but not change it. The router
 * joins the owner's name from identity; every refusal keeps its code through the router; the
 * deletion's tombstone event goes out.
 */
import type { EventEnvelope } from '@chatgraph/schema';

/** Where the scenario runs: the router's URL, and every `assistant.assistant.v1` event seen so far. */
export interface AssistantsTarget {
  url(): string;
  events(): readonly EventEnvelope[];
  /** Bounded polling steps (25 ms apart) for events. */
  tries: number;
}

/** Registers the scenario's test on `target`. */
export function describeAssistantsScenario(name: string, target: AssistantsTarget): void {
  interface Response<T> {
    data?: T | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  }

  async function gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
    const res = await fetch(target.url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Response<T>;
  }

  /** The first error's code. */
  function codeOf(res: Response<unknown>): unknown {
    return res.errors?.[0]?.extensions?.code;
  }

  /** Reads until `done` holds, a bounded number of times (events are asynchronous). */
  async function eventually<T>(read: () => T, done: (value: T) => boolean, tries = target.tries): Promise<T> {
    let value = read();
    for (let i = 1; i < tries && !done(value); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      value = read();
    }
    return value;
  }

  async function register(email: string, name: string): Promise<{ token: string; id: string }> {
    const res = await gql<{ register: { accessToken: string; user: { id: string } } }>(
      undefined,
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
      { input: { email, name, password: 'a perfectly fine passphrase' } },
    );
    if (!res.data) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
    return { token: res.data.register.accessToken, id: res.data.register.user.id };
  }

  interface AssistantView {
    id: string;
    name: string;
    instructions: string;
    visibility: string;
    version: number;
    owner: { id: string; name: string };
    sharedWith: Array<{ id: string }>;
  }

  const FIELDS = 'id name instructions visibility version owner { id name } sharedWith { id }';

  test(`${name}: two users: create, hidden, shared, used, duplicated, never changed by the other`, async () => {
    const ada = await register('ada@example.com', 'Ada');
    const bob = await register('bob@example.com', 'Bob');

    const created = await gql<{ createAssistant: AssistantView }>(
      ada.token,
      `mutation($input: CreateAssistantInput!) { createAssistant(input: $input) { ${FIELDS} } }`,
      { input: { name: 'Tax helper', instructions: 'Answer tax questions.', model: 'local-demo', tools: ['file_search'] } },
    );
    const a = created.data?.createAssistant;
    expect(a).toMatchObject({ name: 'Tax helper', visibility: 'PRIVATE', version: 1, owner: { id: ada.id, name: 'Ada' } });
    if (!a) throw new Error('no assistant');

    const GET = `query($id: ID!) { assistant(id: $id) { ${FIELDS} } }`;
    expect((await gql<{ assistant: AssistantView | null }>(bob.token, GET, { id: a.id })).data?.assistant).toBeNull();
    const UPDATE = 'mutation($id: ID!, $name: String) { updateAssistant(id: $id, input: { name: $name }) { id } }';
    expect(codeOf(await gql(bob.token, UPDATE, { id: a.id, name: 'Mine' }))).toBe('NOT_FOUND');

    const SHARE = `mutation($id: ID!, $users: [ID!]) { shareAssistant(id: $id, visibility: SHARED, userIds: $users) { ${FIELDS} } }`;
    const shared = await gql<{ shareAssistant: AssistantView }>(ada.token, SHARE, { id: a.id, users: [bob.id] });
    expect(shared.data?.shareAssistant).toMatchObject({ visibility: 'SHARED', version: 2, sharedWith: [{ id: bob.id }] });

    const seen = (await gql<{ assistant: AssistantView | null }>(bob.token, GET, { id: a.id })).data?.assistant;
    expect(seen).toMatchObject({ id: a.id, instructions: 'Answer tax questions.', owner: { name: 'Ada' }, sharedWith: [] });
    const list = await gql<{ assistants: { edges: Array<{ node: { id: string } }>; totalCount: number } }>(
      bob.token,
      '{ assistants(filter: SHARED_WITH_ME) { edges { node { id } } totalCount } }',
    );
    expect(list.data?.assistants).toEqual({ edges: [{ node: { id: a.id } }], totalCount: 1 });
    expect(codeOf(await gql(bob.token, UPDATE, { id: a.id, name: 'Mine' }))).toBe('FORBIDDEN');
    expect(codeOf(await gql(bob.token, 'mutation($id: ID!) { deleteAssistant(id: $id) { deletedAssistantId } }', { id: a.id }))).toBe(
      'FORBIDDEN',
    );

    const copy = await gql<{ duplicateAssistant: AssistantView }>(
      bob.token,
      `mutation($id: ID!) { duplicateAssistant(id: $id) { ${FIELDS} } }`,
      {
        id: a.id,
      },
    );
    expect(copy.data?.duplicateAssistant).toMatchObject({
      name: 'Tax helper (copy)',
      visibility: 'PRIVATE',
      owner: { id: bob.id, name: 'Bob' },
    });

    // A stale version and oversized instructions keep their codes through the router.
    const stale = await gql(ada.token, 'mutation($id: ID!) { updateAssistant(id: $id, input: { name: "x" }, expectedVersion: 1) { id } }', {
      id: a.id,
    });
    expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
    const huge = await gql(ada.token, 'mutation($id: ID!, $i: String) { updateAssistant(id: $id, input: { instructions: $i }) { id } }', {
      id: a.id,
      i: 'x'.repeat(40_000),
    });
    expect(huge.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'instructions' });
    expect(codeOf(await gql(undefined, GET, { id: a.id }))).toBe('UNAUTHENTICATED');

    // Ada deletes it: gone for Bob, and the tombstone event is out.
    const deleted = await gql(ada.token, 'mutation($id: ID!) { deleteAssistant(id: $id) { deletedAssistantId } }', { id: a.id });
    expect(deleted.data).toEqual({ deleteAssistant: { deletedAssistantId: a.id } });
    expect((await gql<{ assistant: AssistantView | null }>(bob.token, GET, { id: a.id })).data?.assistant).toBeNull();
    const mine = await eventually(
      () =>
        target
          .events()
          .filter((e) => e.subject.assistantId === a.id)
          .map((e) => e.type),
      (types) => types.length >= 3,
    );
    expect(mine).toEqual(['assistant.created', 'assistant.updated', 'assistant.deleted']);
  });

  /** Uploads `text` as the caller's knowledge file through the router's upload URL; resolves its id. */
  async function upload(token: string, filename: string, text: string): Promise<string> {
    const bytes = Buffer.from(text, 'utf8');
    const res = await gql<{ createUpload: { file: { id: string }; uploadUrl: string } }>(
      token,
      'mutation($input: CreateUploadInput!) { createUpload(input: $input) { file { id } uploadUrl } }',
      { input: { filename, mimeType: 'text/plain', bytes: bytes.length, purpose: 'ASSISTANT_KNOWLEDGE' } },
    );
    if (!res.data) throw new Error(`createUpload failed: ${JSON.stringify(res.errors)}`);
    // The ticket names the public origin; the test's router listens on its own port.
    const url = new URL(res.data.createUpload.uploadUrl);
    const put = await fetch(new URL(url.pathname + url.search, target.url()), { method: 'PUT', body: bytes });
    if (put.status !== 200 && put.status !== 201) throw new Error(`upload answered ${put.status}`);
    return res.data.createUpload.file.id;
  }

  test(`${name}: knowledge files are the owner's, hydrated from the file service; another user's file is refused`, async () => {
    const ada = await register('ada.files@example.com', 'Ada');
    const eve = await register('eve.files@example.com', 'Eve');
    const adaFile = await upload(ada.token, 'tax-tables.txt', 'Tax tables for 2026: the basic rate is 20 percent.');
    const eveFile = await upload(eve.token, 'secret.txt', 'Eve keeps this to herself.');
    const CREATE = 'mutation($input: CreateAssistantInput!) { createAssistant(input: $input) { id files { id filename } } }';
    const input = (fileIds: string[]) => ({ input: { name: 'Tax helper', model: 'local-demo', tools: ['file_search'], fileIds } });

    // Assistant learns of files from the file service's events: Ada's is taken once it has heard of it.
    type Created = Response<{ createAssistant: { id: string; files: Array<{ id: string; filename: string }> } }>;
    let created: Created = await gql(ada.token, CREATE, input([adaFile]));
    for (let i = 1; i < target.tries && created.errors?.[0]?.extensions?.reason === 'UNKNOWN'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      created = await gql(ada.token, CREATE, input([adaFile]));
    }
    const a = created.data?.createAssistant;
    expect(a?.files).toEqual([{ id: adaFile, filename: 'tax-tables.txt' }]);

    // Eve's file is unknown to Ada, whether or not assistant has heard of it yet: refused, nothing stored.
    const refused = await gql(ada.token, CREATE, input([adaFile, eveFile]));
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'fileIds', fileId: eveFile, reason: 'UNKNOWN' });
    const mine = await gql<{ assistants: { totalCount: number } }>(ada.token, '{ assistants(filter: MINE) { totalCount } }');
    expect(mine.data?.assistants.totalCount).toBe(1);

    // Shared publicly, the assistant shows Eve no files of Ada's.
    await gql(ada.token, 'mutation($id: ID!) { shareAssistant(id: $id, visibility: PUBLIC) { id } }', { id: a?.id });
    const seen = await gql<{ assistant: { files: unknown[] } | null }>(
      eve.token,
      'query($id: ID!) { assistant(id: $id) { files { id } } }',
      { id: a?.id },
    );
    expect(seen.data?.assistant?.files).toEqual([]);
  });
}
