import { Readable } from 'node:stream';
import { Capabilities } from '../src/capabilities';
import { eventually, eventTypes, SECRET, startFile, userPrincipal, type Harness } from './harness';

const ada = userPrincipal('ada');
const PNG = Buffer.concat([
  Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'),
  Buffer.alloc(5000, 7),
]);

/** A body of `size` bytes of `a` streamed in 64 KiB chunks, with no length announced. */
function streamed(size: number): ReadableStream<Uint8Array> {
  return Readable.toWeb(
    Readable.from(
      (function* () {
        for (let sent = 0; sent < size; sent += 65536) yield Buffer.alloc(Math.min(65536, size - sent), 0x61);
      })(),
    ),
  ) as ReadableStream<Uint8Array>;
}

describe('file byte routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startFile({ FILE_MAX_BYTES: String(4 * 1024 * 1024) });
  });
  afterAll(() => h.dispose());

  it('only the router may call them: unsigned, signed for another target, and replayed requests are refused', async () => {
    const { id, target } = await h.ticket(ada, { filename: 'a.txt', mimeType: 'text/plain', bytes: 5 });
    expect((await h.bytes('PUT', target, { body: 'hello', sign: false })).status).toBe(401);
    const { signStreamedRequest } = await import('@chatgraph/kit');
    const elsewhere = signStreamedRequest(SECRET, { kind: 'service', name: 'router' }, 'PUT', '/files/uploads/other');
    expect((await fetch(`${h.base}${target}`, { method: 'PUT', body: 'hello', headers: elsewhere })).status).toBe(401);
    const asGet = signStreamedRequest(SECRET, { kind: 'service', name: 'router' }, 'GET', target);
    expect((await fetch(`${h.base}${target}`, { method: 'PUT', body: 'hello', headers: asGet })).status).toBe(401);
    const headers = signStreamedRequest(SECRET, { kind: 'service', name: 'router' }, 'PUT', target);
    expect((await fetch(`${h.base}${target}`, { method: 'PUT', body: 'hello', headers })).status).toBe(201);
    expect((await fetch(`${h.base}${target}`, { method: 'PUT', body: 'hello', headers })).status).toBe(401);
    expect(await h.blobExists(id)).toBe(true);
  });

  it('stores a PUT body with its sha256, marks the file PROCESSING with file.uploaded, then READY; a second use is CONFLICT', async () => {
    const body = Buffer.from('some text to keep', 'utf8');
    const { id, target } = await h.ticket(ada, { filename: 'keep.txt', mimeType: 'text/plain', bytes: body.length });
    const res = await h.bytes('PUT', target, { body });
    expect(res.status).toBe(201);
    const answer = (await res.json()) as { sha256: string; bytes: number };
    expect(answer.bytes).toBe(body.length);
    const { createHash } = await import('node:crypto');
    expect(answer.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    const doc = await eventually(
      () => h.collections.files.findById(id),
      (d) => d?.status === 'READY',
      h.tries,
    );
    expect(doc).toMatchObject({
      status: 'READY',
      sha256: answer.sha256,
      textPreview: 'some text to keep',
      derived: ['files/' + id + '/text'],
    });
    await eventually(
      () => eventTypes(h, id),
      (types) => types.length >= 3,
      h.tries,
    );
    expect(eventTypes(h, id)).toEqual(['file.uploaded', 'file.processed', 'file.chunked']);
    const again = await h.bytes('PUT', target, { body });
    expect(again.status).toBe(409);
  });

  it('a ticket is claimed atomically: a second upload on it while the first is still streaming is CONFLICT', async () => {
    const { id, target } = await h.ticket(ada, { filename: 'slow.txt', mimeType: 'text/plain', bytes: 10 });
    let finish: () => void = () => undefined;
    const rest = new Promise<void>((resolve) => (finish = resolve));
    const slow = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(Buffer.from('hello'));
        await rest;
        controller.enqueue(Buffer.from('world'));
        controller.close();
      },
    });
    const first = h.bytes('PUT', target, { body: slow });
    await eventually(
      () => h.collections.files.findById(id),
      (d) => d?.ticketUsed === true,
      h.tries,
    );
    const second = await h.bytes('PUT', target, { body: 'HELLOWORLD' });
    expect(second.status).toBe(409);
    finish();
    expect((await first).status).toBe(201);
    expect(await h.collections.files.findById(id)).toMatchObject({ status: expect.stringMatching(/PROCESSING|READY/), bytes: 10 });
  });

  it('refuses a body announced larger than the file at once, and a streamed one past it mid-stream, keeping no bytes', async () => {
    const early = await h.ticket(ada, { filename: 'e.txt', mimeType: 'text/plain', bytes: 10 });
    expect((await h.bytes('PUT', early.target, { body: 'x'.repeat(11) })).status).toBe(413);
    expect(await h.collections.files.findById(early.id)).toMatchObject({
      status: 'FAILED',
      failureReason: 'The file is larger than announced',
    });

    const late = await h.ticket(ada, { filename: 'l.txt', mimeType: 'text/plain', bytes: 100_000 });
    const res = await h.bytes('PUT', late.target, { body: streamed(3 * 1024 * 1024) });
    // Answered while the client is still sending (the rest is read and dropped, then the connection closes).
    expect(res.status).toBe(413);
    const failed = await h.collections.files.findById(late.id);
    expect(failed?.status).toBe('FAILED');
    expect(failed?.failureReason).toMatch(/larger than the 100000 bytes/);
    expect(await h.blobExists(late.id)).toBe(false);
    expect(eventTypes(h, late.id)).toEqual([]);
  });

  it('refuses bytes that are not the claimed type (PNG as PDF, binary as text) with 415 and keeps nothing', async () => {
    const pdf = await h.ticket(ada, { filename: 'r.pdf', mimeType: 'application/pdf', bytes: PNG.length });
    const res = await h.bytes('PUT', pdf.target, { body: PNG });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The bytes look like image/png, not application/pdf' },
    });
    expect(await h.blobExists(pdf.id)).toBe(false);
    const text = await h.ticket(ada, { filename: 't.txt', mimeType: 'text/plain', bytes: 6 });
    expect((await h.bytes('PUT', text.target, { body: Buffer.from([0x61, 0x62, 0, 0x63, 0xff, 0xfe]) })).status).toBe(415);
    // Invalid UTF-8 after the sniffed head is caught too.
    const tail = Buffer.concat([Buffer.alloc(6000, 0x61), Buffer.from([0xc3, 0x28])]);
    const late = await h.ticket(ada, { filename: 'late.txt', mimeType: 'text/plain', bytes: tail.length });
    expect((await h.bytes('PUT', late.target, { body: tail })).status).toBe(415);
    expect(await h.blobExists(late.id)).toBe(false);
    const png = await h.ticket(ada, { filename: 'p.png', mimeType: 'image/png', bytes: PNG.length });
    expect((await h.bytes('PUT', png.target, { body: PNG })).status).toBe(201);
  });

  it('takes a multipart POST with one file part; refuses one without a file part', async () => {
    const { id, target } = await h.ticket(ada, { filename: 'm.csv', mimeType: 'text/csv', bytes: 8 });
    const form = new FormData();
    form.append('note', 'hello');
    form.append('file', new Blob(['a,b\n1,2\n']), 'm.csv');
    expect((await h.bytes('POST', target, { body: form })).status).toBe(201);
    expect(await h.blobExists(id)).toBe(true);
    const empty = await h.ticket(ada, { filename: 'n.csv', mimeType: 'text/csv', bytes: 8 });
    const noFile = new FormData();
    noFile.append('note', 'no file');
    const res = await h.bytes('POST', empty.target, { body: noFile });
    expect(res.status).toBe(400);
    expect(await h.collections.files.findById(empty.id)).toMatchObject({ status: 'FAILED' });
  });

  it('serves downloads with one Range, 416 past the end, safe headers; refuses expired links and links of other files', async () => {
    const body = Buffer.from('0123456789abcdef');
    const { id, target } = await h.ticket(ada, { filename: 'évil"name.json', mimeType: 'application/json', bytes: body.length });
    expect((await h.bytes('PUT', target, { body })).status).toBe(201);
    const link = new Capabilities(SECRET).issue('download', id, new Date(Date.now() + 60_000));
    const path = `/files/${id}/content?token=${link}`;
    const whole = await h.bytes('GET', path);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-disposition')).toBe(`attachment; filename="_vil_name.json"; filename*=UTF-8''%C3%A9vil%22name.json`);
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
    expect(whole.headers.get('cache-control')).toBe('private, max-age=0');
    expect(await whole.text()).toBe('0123456789abcdef');
    const part = await h.bytes('GET', path, { headers: { range: 'bytes=10-' } });
    expect([part.status, part.headers.get('content-range'), await part.text()]).toEqual([206, 'bytes 10-15/16', 'abcdef']);
    const past = await h.bytes('GET', path, { headers: { range: 'bytes=16-20' } });
    expect(past.status).toBe(416);
    const multi = await h.bytes('GET', path, { headers: { range: 'bytes=0-1,4-5' } });
    expect(multi.status).toBe(200);
    const expired = new Capabilities(SECRET).issue('download', id, new Date(Date.now() - 1));
    expect((await h.bytes('GET', `/files/${id}/content?token=${expired}`)).status).toBe(410);
    expect((await h.bytes('GET', `/files/other-file/content?token=${link}`)).status).toBe(403);
    // An upload ticket is no download link.
    const ticket = new Capabilities(SECRET).issue('upload', id, new Date(Date.now() + 60_000));
    expect((await h.bytes('GET', `/files/${id}/content?token=${ticket}`)).status).toBe(403);
  });
});
