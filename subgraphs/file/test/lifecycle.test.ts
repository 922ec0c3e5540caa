import { identityUserV1 } from '@chatgraph/schema';
import { ProcessingError } from '../src/processing/types';
import { blobKeys } from '../src/store';
import { eventually, eventTypes, startFile, userPrincipal, type Harness } from './harness';

const ada = userPrincipal('ada');

async function uploaded(h: Harness, text: string, principal = ada): Promise<string> {
  const { id, target } = await h.ticket(principal, { filename: 'f.txt', mimeType: 'text/plain', bytes: Buffer.byteLength(text) });
  expect((await h.bytes('PUT', target, { body: text })).status).toBe(201);
  return id;
}

describe('file processing and deletion', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startFile();
  });
  afterAll(() => h.dispose());
  afterEach(() => {
    h.processor.next = undefined;
  });

  it('a ProcessingError ends the file FAILED with its reason and file.failed; the bytes stay downloadable', async () => {
    h.processor.next = () => Promise.reject(new ProcessingError('CORRUPT', 'The PDF is damaged'));
    const id = await uploaded(h, 'not really a pdf');
    const doc = await eventually(
      () => h.collections.files.findById(id),
      (d) => d?.status === 'FAILED',
      h.tries,
    );
    expect(doc?.failureReason).toBe('The PDF is damaged');
    await eventually(
      () => eventTypes(h, id),
      (t) => t.length >= 2,
      h.tries,
    );
    expect(eventTypes(h, id)).toEqual(['file.uploaded', 'file.failed']);
    expect(h.events.find((e) => e.key === id && e.event.type === 'file.failed')?.event.payload).toEqual({
      code: 'CORRUPT',
      reason: 'The PDF is damaged',
    });
    expect(await h.blobExists(id)).toBe(true);
  });

  it('processes a file once even when file.uploaded is delivered again; chunks go out in batches of 100', async () => {
    h.processor.next = async (input) => ({
      text: input.bytes.toString('utf8'),
      chunks: Array.from({ length: 230 }, (_, index) => ({ index, text: `chunk ${index}`, tokens: 2 })),
    });
    const id = await uploaded(h, 'many chunks');
    await eventually(
      () => eventTypes(h, id),
      (t) => t.length >= 5,
      h.tries,
    );
    const uploadedEvent = h.events.find((e) => e.key === id && e.event.type === 'file.uploaded');
    if (!uploadedEvent) throw new Error('no file.uploaded');
    const calls = h.processor.seen.filter((input) => input.fileId === id).length;
    await h.bus.publish('file.file.v1', [{ key: id, event: uploadedEvent.event }]);
    // A marker behind the redelivery on the same key: once it is handled, so is the redelivery.
    const marker = await uploaded(h, 'marker');
    await eventually(
      () => h.collections.files.findById(marker),
      (d) => d?.status === 'READY',
      h.tries,
    );
    expect(h.processor.seen.filter((input) => input.fileId === id).length).toBe(calls);
    // The last one is the test's own redelivery: nothing followed it.
    expect(eventTypes(h, id)).toEqual(['file.uploaded', 'file.processed', 'file.chunked', 'file.chunked', 'file.chunked', 'file.uploaded']);
    const batches = h.events
      .filter((e) => e.key === id && e.event.type === 'file.chunked')
      .map((e) => (e.event.payload as { chunks: unknown[] }).chunks.length);
    expect(batches).toEqual([100, 100, 30]);
  });

  it('a file deleted while being processed keeps nothing of what processing wrote', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => undefined;
    const inProcessing = new Promise<void>((resolve) => (started = resolve));
    h.processor.next = async (input) => {
      started();
      await gate;
      return { text: input.bytes.toString('utf8'), chunks: [{ index: 0, text: 'x', tokens: 1 }] };
    };
    const id = await uploaded(h, 'deleted midway');
    await inProcessing;
    expect((await h.gql(ada, `mutation { deleteFile(id: "${id}") }`)).data).toEqual({ deleteFile: true });
    release();
    await eventually(
      () => eventTypes(h, id),
      (t) => t.includes('file.deleted'),
      h.tries,
    );
    const marker = await uploaded(h, 'marker');
    h.processor.next = undefined;
    await eventually(
      () => h.collections.files.findById(marker),
      (d) => d?.status === 'READY',
      h.tries,
    );
    expect(await h.blobs.exists(blobKeys.text(id))).toBe(false);
    expect(await h.blobExists(id)).toBe(false);
    expect(eventTypes(h, id)).toEqual(['file.uploaded', 'file.deleted']);
  });

  it("identity's user.deleted deletes every file of the account (twice delivered: same result), others keep theirs", async () => {
    const gone = userPrincipal('gone');
    const ids = [await uploaded(h, 'one', gone), await uploaded(h, 'two', gone)];
    const pending = await h.ticket(gone, { filename: 'p.txt', mimeType: 'text/plain', bytes: 1 });
    const kept = await uploaded(h, 'kept');
    for (const id of ids)
      await eventually(
        () => h.collections.files.findById(id),
        (d) => d?.status === 'READY',
        h.tries,
      );
    const event = identityUserV1.create('user.deleted', { userId: 'gone' }, { by: 'gone' });
    await h.bus.publish(identityUserV1.topic, [{ key: 'gone', event }]);
    await h.bus.publish(identityUserV1.topic, [{ key: 'gone', event }]);
    for (const id of [...ids, pending.id])
      await eventually(
        () => eventTypes(h, id),
        (t) => t.includes('file.deleted'),
        h.tries,
      );
    // The blobs go right after the tombstone is written (its event may be out first).
    for (const id of ids)
      expect(
        await eventually(
          () => h.blobExists(id),
          (exists) => !exists,
          h.tries,
        ),
      ).toBe(false);
    for (const id of [...ids, pending.id]) expect(eventTypes(h, id).filter((t) => t === 'file.deleted')).toHaveLength(1);
    expect(await h.blobExists(kept)).toBe(true);
    expect((await h.gql(gone, `{ files { totalCount } }`)).data).toEqual({ files: { totalCount: 0 } });
  });
});
