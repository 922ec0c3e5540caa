import { eventually, startFile, userPrincipal, type Harness } from './harness';

const ada = userPrincipal('ada');

describe('a graceful stop', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startFile();
  });
  afterAll(() => h.dispose());

  it('lets an upload in progress finish, refusing new byte requests meanwhile', async () => {
    const { id, target } = await h.ticket(ada, { filename: 'slow.txt', mimeType: 'text/plain', bytes: 10 });
    const other = await h.ticket(ada, { filename: 'other.txt', mimeType: 'text/plain', bytes: 2 });
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
    const upload = h.bytes('PUT', target, { body: slow });
    await eventually(
      () => h.collections.files.findById(id),
      (d) => d?.ticketUsed === true,
      h.tries,
    );
    const stopping = h.service.stop();
    const refused = await h.bytes('PUT', other.target, { body: 'hi' });
    expect(refused.status).toBe(503);
    finish();
    expect((await upload).status).toBe(201);
    await stopping;
    expect(await h.blobExists(id)).toBe(true);
    expect(await h.collections.files.findById(id)).toMatchObject({ status: expect.stringMatching(/^(PROCESSING|READY)$/), bytes: 10 });
  });
});
