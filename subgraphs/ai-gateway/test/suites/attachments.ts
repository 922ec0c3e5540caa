import { newId } from '@chatgraph/kit';
import { aiGenerationV1, fileFileV1, type FileEvent } from '@chatgraph/schema';
import { attachedFilesSpec } from '../../src/attachedFiles';
import { builtInCatalog, parseCatalog, type ModelCatalog } from '../../src/catalog';
import { attachmentBudget } from '../../src/domain/attachments';
import { collectEvents, eventsOf, eventually, newSubject, type CollectedEvent, type Harness, type Target } from '../harness';
import { startFakeOpenAI, type FakeOpenAI, type FakeRequest } from '../support/fakeOpenAI';

/**
 * ai-gateway suite: files attached to a request reach the provider through the real `openai` SDK
 * (the fake server captures the request): documents as text within the budget, images as
 * `image_url` parts for vision models and as a note for the others; someone else's, deleted and
 * unknown files never do. `targetFor` starts ai-gateway over the given catalog (embedded or real
 * servers).
 */

const IMAGE_URL = 'data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA==';
/** The harness waits this long for a file its read model has not heard of (see the "arrives late" test). */
const WAIT_MS = 5_000;

function catalogFor(baseURL: string): ModelCatalog {
  const demo = builtInCatalog();
  return parseCatalog(
    {
      providers: [...demo.providers, { id: 'fake', kind: 'openai', baseURL }],
      models: [
        ...demo.models,
        { id: 'vision-model', displayName: 'Sees images', contextWindow: 128_000, capabilities: ['chat', 'vision'] },
        { id: 'text-model', displayName: 'Text only', contextWindow: 128_000, capabilities: ['chat'] },
        { id: 'small-model', displayName: 'Small window', contextWindow: 2_048, capabilities: ['chat'] },
      ],
      routes: {
        ...demo.routes,
        'vision-model': [{ provider: 'fake', model: 'gpt-vision' }],
        'text-model': [{ provider: 'fake', model: 'gpt-text' }],
        'small-model': [{ provider: 'fake', model: 'gpt-small' }],
      },
      titleModel: demo.titleModel,
      embeddingModel: demo.embeddingModel,
    },
    {},
  );
}

export function describeAttachments(targetFor: (catalog: ModelCatalog) => Target): void {
  let fake: FakeOpenAI;
  let h: Harness;
  let events: CollectedEvent[];
  let target: Target;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    target = targetFor(catalogFor(fake.baseURL));
    h = await target.start({ ATTACHMENT_WAIT_MS: String(WAIT_MS), TITLES_ENABLED: 'false' });
    events = await collectEvents(h);
  }, 120_000);
  afterAll(async () => {
    await h?.dispose();
    await fake?.close();
  });

  const files = () => h.store.collection(attachedFilesSpec);

  function processed(fileId: string, ownerId: string, kind: 'pdf' | 'image', options: { text?: string; at?: Date } = {}): FileEvent {
    const common = { bytes: 4096, purpose: 'MESSAGE_ATTACHMENT' as const, chunkCount: kind === 'pdf' ? 1 : 0, textTruncated: false };
    const payload =
      kind === 'pdf'
        ? { ...common, filename: 'report.pdf', mimeType: 'application/pdf', text: options.text ?? 'Revenue grew 12% in Q3.', pages: 3 }
        : {
            ...common,
            filename: 'chart.jpg',
            mimeType: 'image/jpeg',
            text: '',
            image: { width: 800, height: 600, visionDataUrl: IMAGE_URL },
          };
    return fileFileV1.create('file.processed', { fileId, ownerId }, payload, options.at ? { occurredAt: options.at } : {});
  }

  async function publish(...list: FileEvent[]): Promise<void> {
    await h.bus.publish(
      fileFileV1.topic,
      list.map((event) => ({ key: event.subject.fileId, event })),
    );
  }

  /** Publishes the events and waits until the read model holds each file's last one. */
  async function stored(...list: FileEvent[]): Promise<void> {
    await publish(...list);
    for (const event of list) {
      const done = await eventually(
        () => files().findById(event.subject.fileId),
        (doc) => doc !== null && doc.deleted === (event.type === 'file.deleted'),
        target.tries,
      );
      if (!done) throw new Error(`${event.type} of ${event.subject.fileId} was not stored`);
    }
  }

  /** Publishes `generation.requested` with one user message carrying `fileIds`; resolves its subject. */
  async function request(model: string, ownerId: string, prompt: string, fileIds: string[]) {
    const subject = newSubject(ownerId);
    const event = aiGenerationV1.create('generation.requested', subject, {
      model,
      messages: [
        { role: 'SYSTEM' as const, content: 'You are helpful.' },
        { role: 'USER' as const, content: prompt, fileIds },
      ],
      droppedMessages: 0,
      estimatedPromptTokens: 20,
    });
    await h.bus.publish(aiGenerationV1.topic, [{ key: subject.conversationId, event }]);
    return subject;
  }

  /** The provider request whose user message starts with `prompt`. */
  async function providerRequest(providerModel: string, prompt: string, tries?: number): Promise<FakeRequest> {
    const userContent = (r: FakeRequest) => (r.body.messages as Array<{ role: string; content: unknown }>)[1]?.content;
    const startsWithPrompt = (r: FakeRequest) => {
      const content = userContent(r);
      const first = typeof content === 'string' ? content : (content as Array<{ text?: string }> | undefined)?.[0]?.text;
      return first?.startsWith(prompt) ?? false;
    };
    const found = await eventually(
      () => fake.requestsFor(providerModel).find(startsWithPrompt),
      (r) => r !== undefined,
      tries ?? target.tries,
    );
    if (!found) throw new Error(`no request to ${providerModel} for "${prompt}"`);
    return found;
  }

  const userMessageOf = (r: FakeRequest) => (r.body.messages as Array<Record<string, unknown>>)[1];

  it("sends a vision model the PDF's text and the image as an image_url part", async () => {
    const owner = `u-${newId()}`;
    const pdf = `f-${newId()}`;
    const image = `f-${newId()}`;
    await stored(processed(pdf, owner, 'pdf'), processed(image, owner, 'image'));
    await request('vision-model', owner, 'Compare these', [pdf, image]);
    const sent = userMessageOf(await providerRequest('gpt-vision', 'Compare these'));
    expect(sent).toEqual({
      role: 'user',
      content: [
        {
          type: 'text',
          text: [
            'Compare these',
            '[Attached file "report.pdf" (application/pdf, 3 pages)]\nRevenue grew 12% in Q3.\n[End of "report.pdf"]',
            '[Attached image "chart.jpg" (image/jpeg, 800x600)]',
          ].join('\n\n'),
        },
        { type: 'image_url', image_url: { url: IMAGE_URL } },
      ],
    });
  });

  it('gives a model without vision a note instead of the image, as plain text', async () => {
    const owner = `u-${newId()}`;
    const pdf = `f-${newId()}`;
    const image = `f-${newId()}`;
    await stored(processed(pdf, owner, 'pdf'), processed(image, owner, 'image'));
    await request('text-model', owner, 'Describe the chart', [pdf, image]);
    const sent = userMessageOf(await providerRequest('gpt-text', 'Describe the chart'));
    expect(typeof sent?.content).toBe('string');
    expect(sent?.content).toContain('Revenue grew 12% in Q3.');
    expect(sent?.content).toContain(
      '[Attached image "chart.jpg" (image/jpeg, 800x600): this model cannot see images, so only its name is given]',
    );
    expect(JSON.stringify(sent)).not.toContain('data:image');
  });

  it("never sends another owner's file or a deleted one: both are named unavailable", async () => {
    const owner = `u-${newId()}`;
    const theirs = `f-${newId()}`;
    const deleted = `f-${newId()}`;
    const at = Date.now() - 60_000;
    await stored(processed(theirs, 'u-mallory', 'pdf', { text: 'TOP-SECRET-42' }));
    // The tombstone first, the processing it follows late: the file stays forgotten.
    await stored(fileFileV1.create('file.deleted', { fileId: deleted, ownerId: owner }, {}, { occurredAt: new Date(at + 1000) }));
    await publish(processed(deleted, owner, 'pdf', { text: 'DELETED-TEXT-7', at: new Date(at) }));
    // One key, one partition, in order: once a sentinel published under the same key is stored, the late event was handled.
    const sentinel = processed(`f-${newId()}`, owner, 'pdf');
    await h.bus.publish(fileFileV1.topic, [{ key: deleted, event: sentinel }]);
    await eventually(
      () => files().findById(sentinel.subject.fileId),
      (d) => d !== null,
    );
    await request('vision-model', owner, 'Read them', [theirs, deleted]);
    const sent = JSON.stringify(userMessageOf(await providerRequest('gpt-vision', 'Read them')));
    expect(sent).not.toContain('TOP-SECRET-42');
    expect(sent).not.toContain('DELETED-TEXT-7');
    expect(sent).toContain(`[Attached file ${theirs}: unavailable`);
    expect(sent).toContain(`[Attached file ${deleted}: unavailable`);
    expect((await files().findById(deleted))?.deleted).toBe(true);
  });

  it('waits for a file whose processing arrives after the request, and names a file that never comes unavailable', async () => {
    const owner = `u-${newId()}`;
    const late = `f-${newId()}`;
    const never = `f-${newId()}`;
    await request('text-model', owner, 'Late file', [late, never]);
    await publish(processed(late, owner, 'pdf', { text: 'Arrived late but in time.' }));
    const sent = userMessageOf(await providerRequest('gpt-text', 'Late file', target.tries + 1_000));
    expect(sent?.content).toContain('Arrived late but in time.');
    expect(sent?.content).toContain(`[Attached file ${never}: unavailable`);
  });

  it("cuts a document longer than the model's budget with a marker", async () => {
    const owner = `u-${newId()}`;
    const pdf = `f-${newId()}`;
    const long = 'word '.repeat(4_000);
    await stored(processed(pdf, owner, 'pdf', { text: long }));
    await request('small-model', owner, 'Summarise', [pdf]);
    const sent = String(userMessageOf(await providerRequest('gpt-small', 'Summarise'))?.content);
    // 2,048 tokens: half is 1,024, but the history (20) and the reply room (1,024) leave 1,004 tokens, ~4 characters each.
    const shown = attachmentBudget(2_048, 20, 50) * 4;
    expect(shown).toBe(4_016);
    expect(sent).toContain(`[... "report.pdf" is cut here to fit the context: ${shown} of ${long.length} characters shown]`);
    expect(sent.length).toBeLessThan(shown + 500);
  });

  it('has the local demo model name each attachment in its answer', async () => {
    const owner = `u-${newId()}`;
    const pdf = `f-${newId()}`;
    const image = `f-${newId()}`;
    const gone = `f-${newId()}`;
    await stored(processed(pdf, owner, 'pdf'), processed(image, owner, 'image'));
    await stored(fileFileV1.create('file.deleted', { fileId: gone, ownerId: owner }, {}));
    const subject = await request('local-demo', owner, 'What did I send?', [pdf, image, gone]);
    const completed = await eventually(
      async () => eventsOf(events, subject.streamId, 'generation.completed')[0],
      (e) => e !== undefined,
      target.tries,
    );
    expect((completed?.payload as { content: string } | undefined)?.content).toBe(
      'This is the local demo model, not an AI: no provider is configured. You wrote 4 words: "What did I send?". ' +
        `You attached 3 files: "report.pdf" (application/pdf, 3 pages); "chart.jpg" (image/jpeg, 800x600, not seen by this model); ${gone} (unavailable). ` +
        'Configure MODEL_CATALOG_FILE to talk to a real model.',
    );
  });
}
