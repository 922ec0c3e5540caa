import { ANON, codeOf, eventually, startFile, userPrincipal, type Harness } from './harness';

const ada = userPrincipal('ada');
const eve = userPrincipal('eve');

interface Ticket {
  createUpload: { file: { id: string; status: string; owner: { id: string } }; uploadUrl: string; expiresAt: string };
}
const CREATE =
  'mutation($input: CreateUploadInput!) { createUpload(input: $input) { file { id status owner { id } } uploadUrl expiresAt } }';

async function readyFile(h: Harness, principal = ada, text = 'hello'): Promise<string> {
  const { id, target } = await h.ticket(principal, { filename: 'f.txt', mimeType: 'text/plain', bytes: text.length });
  expect((await h.bytes('PUT', target, { body: text })).status).toBe(201);
  await eventually(
    () => h.collections.files.findById(id),
    (d) => d?.status === 'READY',
    h.tries,
  );
  return id;
}

describe('file GraphQL', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startFile({
      FILE_QUOTA_BYTES: '1000',
      FILE_MAX_BYTES: '800',
      FILE_MAX_PENDING_UPLOADS: '2',
      FILE_UPLOAD_TICKET_SECONDS: '600',
    });
  });
  afterAll(() => h.dispose());

  it('createUpload answers an UPLOADING file and a ticket URL on the public origin; refuses bad input with field', async () => {
    const res = await h.gql<Ticket>(ada, CREATE, { input: { filename: ' report.txt ', mimeType: 'TEXT/PLAIN', bytes: 10 } });
    expect(res.errors).toBeUndefined();
    const ticket = res.data?.createUpload;
    expect(ticket?.file).toMatchObject({ status: 'UPLOADING', owner: { id: 'ada' } });
    expect(ticket?.uploadUrl).toMatch(/^http:\/\/router\.test\/files\/uploads\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const file = await h.collections.files.findById(ticket?.file.id ?? '');
    expect(file).toMatchObject({ filename: 'report.txt', mimeType: 'text/plain' });
    for (const [input, field] of [
      [{ filename: '', mimeType: 'text/plain', bytes: 1 }, 'filename'],
      [{ filename: 'a\nb', mimeType: 'text/plain', bytes: 1 }, 'filename'],
      [{ filename: 'x'.repeat(256), mimeType: 'text/plain', bytes: 1 }, 'filename'],
      [{ filename: 'a.exe', mimeType: 'application/x-msdownload', bytes: 1 }, 'mimeType'],
      [{ filename: 'a.txt', mimeType: 'text/plain', bytes: 801 }, 'bytes'],
      [{ filename: 'a.txt', mimeType: 'text/plain', bytes: -1 }, 'bytes'],
    ] as const) {
      const refused = await h.gql(ada, CREATE, { input });
      expect([codeOf(refused), refused.errors?.[0]?.extensions?.field]).toEqual(['BAD_USER_INPUT', field]);
    }
    expect(codeOf(await h.gql(ANON, CREATE, { input: { filename: 'a.txt', mimeType: 'text/plain', bytes: 1 } }))).toBe('UNAUTHENTICATED');
    expect(await h.collections.files.count({ ownerId: 'ada' })).toBe(1);
  });

  it('counts stored files and live tickets against the storage quota and the pending cap; an expired ticket counts for neither', async () => {
    const zed = userPrincipal('zed');
    const stored = await readyFile(h, zed, 'x'.repeat(700));
    const over = await h.gql(zed, CREATE, { input: { filename: 'b.txt', mimeType: 'text/plain', bytes: 301 } });
    expect(over.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'bytes', quota: 'STORAGE', used: 700 });
    for (let i = 0; i < 2; i++)
      expect((await h.gql(zed, CREATE, { input: { filename: `p${i}.txt`, mimeType: 'text/plain', bytes: 1 } })).errors).toBeUndefined();
    const flood = await h.gql(zed, CREATE, { input: { filename: 'p3.txt', mimeType: 'text/plain', bytes: 1 } });
    expect(flood.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', quota: 'PENDING_UPLOADS' });
    // Both pending tickets expire (their stored expiry passes): neither counts any more, and they read FAILED.
    await h.collections.files.updateMany({ ownerId: 'zed', status: 'UPLOADING' }, { $set: { ticketExpiresAt: new Date(Date.now() - 1) } });
    expect((await h.gql(zed, CREATE, { input: { filename: 'p4.txt', mimeType: 'text/plain', bytes: 300 } })).errors).toBeUndefined();
    const listed = await h.gql<{ files: { edges: Array<{ node: { filename: string; status: string; failureReason: string | null } }> } }>(
      zed,
      '{ files(first: 10) { edges { node { filename status failureReason } } } }',
    );
    expect(listed.data?.files.edges.map((e) => e.node)).toEqual([
      { filename: 'p4.txt', status: 'UPLOADING', failureReason: null },
      { filename: 'p1.txt', status: 'FAILED', failureReason: 'The upload URL expired before the bytes arrived' },
      { filename: 'p0.txt', status: 'FAILED', failureReason: 'The upload URL expired before the bytes arrived' },
      { filename: 'f.txt', status: 'READY', failureReason: null },
    ]);
    expect(stored).toBeDefined();
  });

  it('only the owner sees a file, by query or by reference; Message.files keeps the caller’s own, not deleted, in order', async () => {
    const first = await readyFile(h, ada, 'one');
    const second = await readyFile(h, ada, 'two');
    const hers = await readyFile(h, eve, 'eve');
    const read = await h.gql<{ file: { id: string; textPreview: string; downloadUrl: string } | null }>(
      ada,
      `{ file(id: "${first}") { id textPreview downloadUrl } }`,
    );
    expect(read.data?.file).toMatchObject({ id: first, textPreview: 'one' });
    expect(read.data?.file?.downloadUrl).toMatch(new RegExp(`^http://router\\.test/files/${first}/content\\?token=`));
    expect((await h.gql(eve, `{ file(id: "${first}") { id } }`)).data).toEqual({ file: null });
    expect((await h.gql(ada, `{ file(id: "../../etc") { id } }`)).data).toEqual({ file: null });
    expect(codeOf(await h.gql(eve, `mutation { deleteFile(id: "${first}") }`))).toBe('NOT_FOUND');

    const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on File { id } ... on Message { id files { id } } } }`;
    const refs = await h.gql<{ _entities: Array<{ id: string } | null> }>(eve, entities, {
      r: [
        { __typename: 'File', id: first },
        { __typename: 'File', id: hers },
      ],
    });
    expect(refs.data?._entities).toEqual([null, { id: hers }]);

    expect((await h.gql(ada, `mutation { deleteFile(id: "${second}") }`)).data).toEqual({ deleteFile: true });
    const message = { __typename: 'Message', id: 'm1', fileIds: [hers, second, first, 'nope'] };
    const asAda = await h.gql<{ _entities: Array<{ id: string; files: Array<{ id: string }> }> }>(ada, entities, { r: [message] });
    expect(asAda.data?._entities).toEqual([{ id: 'm1', files: [{ id: first }] }]);
    const asEve = await h.gql<{ _entities: Array<{ id: string; files: Array<{ id: string }> }> }>(eve, entities, { r: [message] });
    expect(asEve.data?._entities).toEqual([{ id: 'm1', files: [{ id: hers }] }]);
  });
});
