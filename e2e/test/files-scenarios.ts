import { crc32, deflateSync } from 'node:zlib';
import { buildPdf } from '../../subgraphs/file/test/fixtures/pdf';

/**
 * The file service as a client uses it, through the router only: GraphQL `createUpload`, the bytes
 * with `fetch` (PUT, and a multipart POST built with FormData), polling `file { status }`, downloads
 * with Range, and every refusal (another user, expired and replayed tickets, oversize mid-stream,
 * type spoofing, the pending-upload cap). Shared by the one-process and the real-servers suites.
 */

/** What a suite provides: the router, and a look at what the file service kept. */
export interface FilesHarness {
  /** The router's `/graphql` URL. */
  url: string;
  /** Makes a URL the file service handed out point at this stack's router (see each suite). */
  rebase(url: string): string;
  /** Whether the blob store holds the file's bytes. */
  blobExists(fileId: string): Promise<boolean>;
  /** A genuine upload ticket that has expired (minted with the stack's secret, or waited out), of a file `create` makes. */
  expiredTicket(create: () => Promise<{ id: string; uploadUrl: string }>): Promise<{ id: string; uploadUrl: string }>;
  /** FILE_MAX_PENDING_UPLOADS of the stack. */
  maxPending: number;
}

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

interface FileFields {
  id: string;
  filename: string;
  mimeType: string;
  bytes: number;
  status: string;
  failureReason: string | null;
  downloadUrl: string;
  textPreview: string | null;
  owner: { id: string };
}

const FILE_FIELDS = 'id filename mimeType bytes status failureReason downloadUrl textPreview owner { id }';

/** A real PNG of `width` x `height` RGB pixels (zlib-compressed scanlines, CRC-checked chunks). */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])));
    return Buffer.concat([head, Buffer.from(type, 'latin1'), data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(
    Array.from({ length: height }, (_, y) => Buffer.from([0, ...Array.from({ length: width * 3 }, (_, x) => (x * 7 + y * 13) & 255)])),
  );
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG's magic number and header (enough for sniffing). */
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'), Buffer.alloc(64, 1)]);
/** A Windows executable's header: `MZ`, then a PE header offset and NUL bytes. */
const EXE = Buffer.concat([
  Buffer.from('MZ'),
  Buffer.alloc(58, 0),
  Buffer.from([0x80, 0, 0, 0]),
  Buffer.alloc(64, 0),
  Buffer.from('PE\0\0'),
]);

export function describeFilesThroughRouter(harness: () => FilesHarness): void {
  const h = (): FilesHarness => harness();

  async function gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
    const res = await fetch(h().url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Response<T>;
  }

  let seq = 0;
  async function register(name: string): Promise<{ token: string; id: string }> {
    const email = `${name.toLowerCase()}-${process.pid}-${seq++}@example.com`;
    const res = await gql<{ register: { accessToken: string; user: { id: string } } }>(
      undefined,
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
      { input: { email, name, password: 'a perfectly fine passphrase' } },
    );
    if (!res.data) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
    return { token: res.data.register.accessToken, id: res.data.register.user.id };
  }

  async function createUpload(
    token: string,
    input: { filename: string; mimeType: string; bytes: number },
  ): Promise<Response<{ createUpload: { file: FileFields; uploadUrl: string; expiresAt: string } }>> {
    return gql(
      token,
      `mutation($input: CreateUploadInput!) { createUpload(input: $input) { file { ${FILE_FIELDS} } uploadUrl expiresAt } }`,
      {
        input,
      },
    );
  }

  async function ticket(token: string, filename: string, mimeType: string, bytes: number): Promise<{ id: string; uploadUrl: string }> {
    const res = await createUpload(token, { filename, mimeType, bytes });
    if (!res.data) throw new Error(`createUpload failed: ${JSON.stringify(res.errors)}`);
    return { id: res.data.createUpload.file.id, uploadUrl: h().rebase(res.data.createUpload.uploadUrl) };
  }

  async function fileOf(token: string, id: string): Promise<FileFields | null> {
    const res = await gql<{ file: FileFields | null }>(token, `query($id: ID!) { file(id: $id) { ${FILE_FIELDS} } }`, { id });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data?.file ?? null;
  }

  /** Polls until the file leaves `from` (a bounded number of reads, never a clock). */
  async function settled(token: string, id: string, from: string[] = ['UPLOADING', 'PROCESSING']): Promise<FileFields | null> {
    let file = await fileOf(token, id);
    for (let i = 0; i < 400 && file && from.includes(file.status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      file = await fileOf(token, id);
    }
    return file;
  }

  /** Sends a body; a refusal may also end as a closed connection when the server stops reading early. */
  async function send(url: string, init: RequestInit): Promise<{ status: number | 'closed'; body: string }> {
    try {
      const res = await fetch(url, init);
      return { status: res.status, body: await res.text() };
    } catch {
      return { status: 'closed', body: '' };
    }
  }

  const codeOf = (res: Response<unknown>): unknown => res.errors?.[0]?.extensions?.code;

  it('PUT, processing to READY, download with Range through the router; another user sees nothing and cannot delete or download', async () => {
    const ada = await register('Ada');
    const text = Buffer.from('Hello, files! '.repeat(300) + 'ünïcødé ✓', 'utf8');
    const { id, uploadUrl } = await ticket(ada.token, 'notes "v1"/ünï.txt', 'text/plain', text.length);
    expect(new URL(uploadUrl).pathname).toMatch(/^\/files\/uploads\//);
    expect((await fileOf(ada.token, id))?.status).toBe('UPLOADING');

    const put = await fetch(uploadUrl, { method: 'PUT', body: text, headers: { 'content-type': 'text/plain' } });
    expect(put.status).toBe(201);
    const stored = (await put.json()) as { id: string; bytes: number; sha256: string };
    expect(stored).toMatchObject({ id, bytes: text.length });
    expect(await h().blobExists(id)).toBe(true);

    const ready = await settled(ada.token, id);
    expect(ready).toMatchObject({
      status: 'READY',
      mimeType: 'text/plain',
      bytes: text.length,
      owner: { id: ada.id },
      failureReason: null,
    });
    expect(ready?.textPreview?.startsWith('Hello, files!')).toBe(true);

    const downloadUrl = h().rebase(ready?.downloadUrl ?? '');
    const whole = await fetch(downloadUrl);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(text)).toBe(true);
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
    expect(whole.headers.get('cache-control')).toMatch(/^private/);
    expect(whole.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const disposition = whole.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; filename="notes _v1__.+\.txt"; filename\*=UTF-8''notes%20%22v1%22%2F%C3%BC/);

    const part = await fetch(downloadUrl, { headers: { range: 'bytes=7-11' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 7-11/${text.length}`);
    expect(await part.text()).toBe('files');
    const suffix = await fetch(downloadUrl, { headers: { range: 'bytes=-3' } });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(text.subarray(text.length - 3))).toBe(true);
    const beyond = await fetch(downloadUrl, { headers: { range: `bytes=${text.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${text.length}`);
    const head = await fetch(downloadUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(text.length));

    const eve = await register('Eve');
    expect(await fileOf(eve.token, id)).toBeNull();
    expect(codeOf(await gql(eve.token, 'mutation($id: ID!) { deleteFile(id: $id) }', { id }))).toBe('NOT_FOUND');
    // Eve's own link, pointed at Ada's file, opens nothing.
    const hers = await ticket(eve.token, 'mine.txt', 'text/plain', 2);
    expect((await fetch(hers.uploadUrl, { method: 'PUT', body: 'hi' })).status).toBe(201);
    const hersReady = await settled(eve.token, hers.id);
    const stolen = new URL(h().rebase(hersReady?.downloadUrl ?? ''));
    stolen.pathname = `/files/${id}/content`;
    expect((await fetch(stolen)).status).toBe(403);
    const filesOfEve = await gql<{ files: { edges: Array<{ node: { id: string } }>; totalCount: number } }>(
      eve.token,
      '{ files(first: 10) { edges { node { id } } totalCount } }',
    );
    expect(filesOfEve.data?.files).toEqual({ edges: [{ node: { id: hers.id } }], totalCount: 1 });
    expect(codeOf(await gql(undefined, `{ file(id: "${id}") { id } }`))).toBe('UNAUTHENTICATED');
  });

  it('a multipart POST built with FormData; the file shows on the message it is attached to, for its owner only', async () => {
    const grace = await register('Grace');
    const markdown = '# Title\n\nSome *markdown* text.\n';
    const { id, uploadUrl } = await ticket(grace.token, 'readme.md', 'text/markdown', Buffer.byteLength(markdown));
    const form = new FormData();
    form.append('purpose', 'MESSAGE_ATTACHMENT');
    form.append('file', new Blob([markdown], { type: 'text/markdown' }), 'readme.md');
    const posted = await fetch(uploadUrl, { method: 'POST', body: form });
    expect(posted.status).toBe(201);
    expect((await settled(grace.token, id))?.status).toBe('READY');
    const download = await fetch(h().rebase((await fileOf(grace.token, id))?.downloadUrl ?? ''));
    expect(await download.text()).toBe(markdown);

    type Sent = { sendMessage: { userMessage: { id: string; fileIds: string[]; files: Array<{ id: string; filename: string }> } } };
    const send = (): Promise<Response<Sent>> =>
      gql<Sent>(
        grace.token,
        'mutation($input: SendMessageInput!) { sendMessage(input: $input) { userMessage { id fileIds files { id filename } } } }',
        {
          input: { content: 'Read this', fileIds: [id] },
        },
      );
    // Conversation learns the file is READY from its events: retried while it has not yet.
    let sent = await send();
    for (let i = 0; i < 200 && ['NOT_READY', 'UNKNOWN'].includes(String(sent.errors?.[0]?.extensions?.reason)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      sent = await send();
    }
    expect(sent.errors).toBeUndefined();
    expect(sent.data?.sendMessage.userMessage).toMatchObject({ fileIds: [id], files: [{ id, filename: 'readme.md' }] });
  });

  it('a PDF and an image attached to a message reach the model: the answer names both; another user cannot attach them', async () => {
    const grace = await register('Grace');
    const bob = await register('Bob');
    const pdf = buildPdf([['Quarterly ferret census: 42 ferrets counted'], ['Second page of the census']]);
    const image = png(8, 6);
    const upload = async (filename: string, mimeType: string, bytes: Buffer): Promise<string> => {
      const { id, uploadUrl } = await ticket(grace.token, filename, mimeType, bytes.length);
      const put = await fetch(uploadUrl, { method: 'PUT', headers: { 'content-type': mimeType }, body: new Uint8Array(bytes) });
      expect(put.status).toBe(201);
      return id;
    };
    const pdfId = await upload('census.pdf', 'application/pdf', pdf);
    const imageId = await upload('chart.png', 'image/png', image);
    const [pdfFile, imageFile] = await Promise.all([settled(grace.token, pdfId), settled(grace.token, imageId)]);
    expect(pdfFile).toMatchObject({ status: 'READY', mimeType: 'application/pdf' });
    expect(pdfFile?.textPreview).toContain('Quarterly ferret census');
    expect(imageFile).toMatchObject({ status: 'READY', mimeType: 'image/png', failureReason: null });

    // Conversation learns that the files are READY from their events: until it has, they are refused
    // as not ready (or unknown), so the owner retries a bounded number of times.
    const SEND =
      'mutation($input: SendMessageInput!) { sendMessage(input: $input) { conversation { id } assistantMessage { id } userMessage { files { id filename } } } }';
    type Sent = {
      sendMessage: {
        conversation: { id: string };
        assistantMessage: { id: string };
        userMessage: { files: Array<{ id: string; filename: string }> };
      };
    };
    let sent = await gql<Sent>(grace.token, SEND, { input: { content: 'What do these say?', fileIds: [pdfId, imageId] } });
    for (let i = 0; i < 200 && ['NOT_READY', 'UNKNOWN'].includes(String(sent.errors?.[0]?.extensions?.reason)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      sent = await gql<Sent>(grace.token, SEND, { input: { content: 'What do these say?', fileIds: [pdfId, imageId] } });
    }
    expect(sent.errors).toBeUndefined();
    expect(sent.data?.sendMessage.userMessage.files.map((f) => f.filename)).toEqual(['census.pdf', 'chart.png']);

    // The answer (the offline local-demo model) says what it was given.
    const { conversation, assistantMessage } = sent.data?.sendMessage ?? { conversation: { id: '' }, assistantMessage: { id: '' } };
    const READ = 'query($id: ID!) { conversation(id: $id) { currentBranch { id status content } } }';
    type Read = { conversation: { currentBranch: Array<{ id: string; status: string; content: string }> } | null };
    let answer: { status: string; content: string } | undefined;
    for (let i = 0; i < 400 && answer?.status !== 'COMPLETE'; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 25));
      const read = await gql<Read>(grace.token, READ, { id: conversation.id });
      answer = read.data?.conversation?.currentBranch.find((m) => m.id === assistantMessage.id);
    }
    expect(answer?.status).toBe('COMPLETE');
    expect(answer?.content).toContain('You attached 2 files');
    expect(answer?.content).toContain('"census.pdf" (application/pdf, 2 pages)');
    expect(answer?.content).toContain('"chart.png" (image/png, 8x6');

    // Bob cannot attach Grace's file: it is unknown to him, and nothing is written.
    const stolen = await gql<Sent>(bob.token, SEND, { input: { content: 'Mine now', fileIds: [pdfId] } });
    expect(stolen.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'fileIds', reason: 'UNKNOWN' });
    const bobs = await gql<{ me: { conversations: { edges: unknown[] } } }>(
      bob.token,
      '{ me { conversations(first: 5) { edges { node { id } } } } }',
    );
    expect(bobs.data?.me.conversations.edges).toEqual([]);
  });

  it('refuses a replayed ticket, an expired one, a forged and a malformed one', async () => {
    const alan = await register('Alan');
    const once = await ticket(alan.token, 'once.txt', 'text/plain', 4);
    expect((await fetch(once.uploadUrl, { method: 'PUT', body: 'once' })).status).toBe(201);
    const replay = await send(once.uploadUrl, { method: 'PUT', body: 'twice' });
    expect(replay.status).toBe(409);
    expect(JSON.parse(replay.body)).toMatchObject({ error: { code: 'CONFLICT' } });

    const gone = await h().expiredTicket(() => ticket(alan.token, 'gone.txt', 'text/plain', 4));
    const expired = await send(h().rebase(gone.uploadUrl), { method: 'PUT', body: 'late' });
    expect(expired.status).toBe(410);
    expect(JSON.parse(expired.body)).toMatchObject({ error: { code: 'EXPIRED' } });
    expect(await h().blobExists(gone.id)).toBe(false);

    const late = await ticket(alan.token, 'late.txt', 'text/plain', 4);

    const forged = late.uploadUrl.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await send(forged, { method: 'PUT', body: 'evil' })).status).toBe(403);
    const malformed = new URL(late.uploadUrl);
    malformed.pathname = '/files/uploads/not-a-ticket';
    expect((await send(malformed.toString(), { method: 'PUT', body: 'evil' })).status).toBe(400);
    expect((await fileOf(alan.token, late.id))?.status).toBe('UPLOADING');
    // The genuine ticket still works after all that.
    expect((await fetch(late.uploadUrl, { method: 'PUT', body: 'late' })).status).toBe(201);
  });

  it('refuses an oversize body mid-stream and a spoofed type, keeping nothing', async () => {
    const mallory = await register('Mallory');
    const big = await ticket(mallory.token, 'small.txt', 'text/plain', 1000);
    // 8 MB announced as 1000 bytes, sent without a length so the refusal must come while streaming.
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 8 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const oversize = await send(big.uploadUrl, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    expect(oversize.status).toBe(413);
    expect(JSON.parse(oversize.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const refused = await fileOf(mallory.token, big.id);
    expect(refused).toMatchObject({ status: 'FAILED' });
    expect(refused?.failureReason).toMatch(/larger than/);
    expect(await h().blobExists(big.id)).toBe(false);

    const pngAsPdf = await ticket(mallory.token, 'report.pdf', 'application/pdf', PNG.length);
    const spoof = await send(pngAsPdf.uploadUrl, { method: 'PUT', body: PNG });
    expect(spoof.status).toBe(415);
    expect(JSON.parse(spoof.body)).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(await fileOf(mallory.token, pngAsPdf.id)).toMatchObject({ status: 'FAILED' });
    expect(await h().blobExists(pngAsPdf.id)).toBe(false);

    const exeAsText = await ticket(mallory.token, 'notes.txt', 'text/plain', EXE.length);
    expect((await send(exeAsText.uploadUrl, { method: 'PUT', body: EXE })).status).toBe(415);
    expect(await h().blobExists(exeAsText.id)).toBe(false);

    // A real PNG, claimed as one, is kept and served inline.
    const png = await ticket(mallory.token, 'dot.png', 'image/png', PNG.length);
    expect((await fetch(png.uploadUrl, { method: 'PUT', body: PNG })).status).toBe(201);
    const kept = await settled(mallory.token, png.id);
    const image = await fetch(h().rebase(kept?.downloadUrl ?? ''));
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('content-disposition')).toMatch(/^inline; /);
  });

  it('createUpload refuses bad input and a flood of pending uploads; deleteFile removes the file and its bytes', async () => {
    const zed = await register('Zed');
    const refusal = async (input: { filename: string; mimeType: string; bytes: number }): Promise<Record<string, unknown> | undefined> =>
      (await createUpload(zed.token, input)).errors?.[0]?.extensions;
    expect(await refusal({ filename: 'x'.repeat(10_000), mimeType: 'text/plain', bytes: 1 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'filename',
    });
    expect(await refusal({ filename: 'a\u0000b.txt', mimeType: 'text/plain', bytes: 1 })).toMatchObject({ field: 'filename' });
    expect(await refusal({ filename: 'a.svg', mimeType: 'image/svg+xml', bytes: 1 })).toMatchObject({ field: 'mimeType' });
    expect(await refusal({ filename: 'a.txt', mimeType: 'text/plain', bytes: 0 })).toMatchObject({ field: 'bytes' });
    expect(await refusal({ filename: 'a.txt', mimeType: 'text/plain', bytes: 2 ** 31 - 1 })).toMatchObject({ field: 'bytes' });

    const pending = [];
    for (let i = 0; i < h().maxPending; i++) pending.push(await ticket(zed.token, `p${i}.txt`, 'text/plain', 1));
    expect(await refusal({ filename: 'one-more.txt', mimeType: 'text/plain', bytes: 1 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      quota: 'PENDING_UPLOADS',
    });
    const total = await gql<{ files: { totalCount: number } }>(zed.token, '{ files { totalCount } }');
    expect(total.data?.files.totalCount).toBe(h().maxPending);

    // Sending one frees a place.
    const first = pending[0];
    if (!first) throw new Error('no pending upload');
    expect((await fetch(first.uploadUrl, { method: 'PUT', body: 'x' })).status).toBe(201);
    await settled(zed.token, first.id);
    const ok = await createUpload(zed.token, { filename: 'one-more.txt', mimeType: 'text/plain', bytes: 1 });
    expect(ok.errors).toBeUndefined();

    const link = h().rebase((await fileOf(zed.token, first.id))?.downloadUrl ?? '');
    expect(await gql(zed.token, 'mutation($id: ID!) { deleteFile(id: $id) }', { id: first.id })).toEqual({ data: { deleteFile: true } });
    expect(await fileOf(zed.token, first.id)).toBeNull();
    expect(await h().blobExists(first.id)).toBe(false);
    expect((await fetch(link)).status).toBe(404);
    expect(codeOf(await gql(zed.token, 'mutation($id: ID!) { deleteFile(id: $id) }', { id: first.id }))).toBe('NOT_FOUND');
  });
}
