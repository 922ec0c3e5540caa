import { newId } from '@chatgraph/kit';
import type { SearchIndex } from '@chatgraph/kit/search';
import { aiGenerationV1, fileFileV1, GENERATION_CONTROL_CHANNEL, type EventEnvelope } from '@chatgraph/schema';
import { builtInCatalog, parseCatalog, type ModelCatalog } from '../../src/catalog';
import type { ToolCallContext, ToolOutcome, ToolSource } from '../../src/tools/types';
import type { ModelCatalog as Catalog } from '../../src/catalog';
import { collectEvents, eventsOf, eventually as poll, newSubject, readStream, type CollectedEvent, type Harness } from '../harness';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

/**
 * The tool loop through the real `openai` SDK against the fake server: the model asks for
 * `file_search`, ai-gateway runs it over its chunk index (fed by `file.chunked`), feeds the result
 * back (the captured second request carries it), streams each call and records calls and
 * citations on the outcome. Failing, slow and huge tools end with a code and the answer still
 * ends; a stop aborts a running call; the local demo model drives the loop offline.
 */

function catalogFor(baseURL: string): ModelCatalog {
  const demo = builtInCatalog();
  return parseCatalog(
    {
      providers: [...demo.providers, { id: 'fake', kind: 'openai', baseURL }],
      models: [...demo.models, { id: 'tool-model', displayName: 'Calls tools', contextWindow: 128_000, capabilities: ['chat', 'tools'] }],
      routes: { ...demo.routes, 'tool-model': [{ provider: 'fake', model: 'gpt-tools' }] },
      titleModel: demo.titleModel,
      embeddingModel: demo.embeddingModel,
    },
    {},
  );
}

/** A test tool source: `boom` throws, `slow` waits for its signal, `huge` returns too much, `wait` records its abort. */
class TestTools implements ToolSource {
  readonly aborted: string[] = [];
  readonly running = new Set<string>();

  async definitions(names: readonly string[]) {
    return ['boom', 'slow', 'huge', 'wait']
      .filter((n) => names.includes(n))
      .map((name) => ({ name, description: `test tool ${name}`, parameters: { type: 'object', properties: {} } }));
  }

  async call(name: string, _args: unknown, ctx: ToolCallContext): Promise<ToolOutcome> {
    if (name === 'boom') throw new Error('kaput');
    if (name === 'huge') return { ok: true, content: 'x'.repeat(5_000), summary: 'a lot' };
    this.running.add(name);
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    this.running.delete(name);
    this.aborted.push(`${name}:${String(ctx.signal.reason)}`);
    return { ok: true, content: 'late', summary: 'late' };
  }
}

/** How a suite run starts ai-gateway (embedded or on the real servers) and its chunk index. */
export interface ToolLoopTarget {
  start(options: {
    catalog: Catalog;
    toolSources: ToolSource[];
    fileChunkIndex: SearchIndex;
    env: Record<string, string>;
  }): Promise<Harness>;
  /** A fresh, not started, file chunk index (ai-gateway starts and stops it). */
  newIndex(): SearchIndex;
  /** Polls of 10 ms the waits may take (real servers need more). */
  tries: number;
}

export function describeToolLoop(target: ToolLoopTarget): void {
  let fake: FakeOpenAI;
  let h: Harness;
  let index: SearchIndex;
  let events: CollectedEvent[];
  const tools = new TestTools();
  const eventually = <T>(read: () => T | Promise<T>, check: (value: T) => boolean): Promise<T> => poll(read, check, target.tries);

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    index = target.newIndex();
    h = await target.start({
      catalog: catalogFor(fake.baseURL),
      toolSources: [tools],
      fileChunkIndex: index,
      env: { TITLES_ENABLED: 'false', TOOL_CALL_TIMEOUT_MS: '300', TOOL_RESULT_MAX_CHARS: '1000', TOOL_MAX_ROUNDS: '2' },
    });
    events = await collectEvents(h);
  }, 120_000);
  afterAll(async () => {
    await h?.dispose();
    await fake?.close();
  });

  /** Publishes a file's chunks as the file service does, and waits until they are searchable. */
  async function chunked(fileId: string, ownerId: string, filename: string, texts: string[]): Promise<void> {
    const chunks = texts.map((text, i) => ({ index: i, text, tokens: text.split(' ').length }));
    const event = fileFileV1.create('file.chunked', { fileId, ownerId }, { filename, chunks, chunkCount: chunks.length });
    await h.bus.publish(fileFileV1.topic, [{ key: fileId, event }]);
    await eventually(
      () => index.search({ ownerId, mode: 'keyword', text: texts[0] ?? '', size: 10, filters: { keywords: { fileId } } }),
      (r) => r.hits.length > 0,
    );
  }

  async function request(
    subject: ReturnType<typeof newSubject>,
    payload: { model: string; prompt: string; tools: string[]; fileIds?: string[]; knowledge?: { ownerId: string; fileIds: string[] } },
    on: Harness = h,
  ): Promise<void> {
    const event = aiGenerationV1.create('generation.requested', subject, {
      model: payload.model,
      messages: [
        { role: 'SYSTEM' as const, content: 'You are helpful.' },
        { role: 'USER' as const, content: payload.prompt, ...(payload.fileIds ? { fileIds: payload.fileIds } : {}) },
      ],
      droppedMessages: 0,
      estimatedPromptTokens: 20,
      tools: payload.tools,
      assistantId: 'a-1',
      assistantVersion: 1,
      ...(payload.knowledge ? { knowledge: payload.knowledge } : {}),
    });
    await on.bus.publish(aiGenerationV1.topic, [{ key: subject.conversationId, event }]);
  }

  async function outcomeOf(streamId: string, seen: CollectedEvent[] = events): Promise<EventEnvelope> {
    const found = await eventually(
      () => eventsOf(seen, streamId).filter((e) => e.type === 'generation.completed' || e.type === 'generation.failed'),
      (list) => list.length > 0,
    );
    const [outcome] = found;
    if (!outcome) throw new Error(`no outcome for ${streamId}`);
    return outcome;
  }

  type Payload = {
    content: string;
    finishReason: string;
    toolCalls?: Array<{ name: string; outcome: string; summary: string; arguments: string }>;
    citations?: Array<{ fileId: string; filename: string; chunkIndex: number; snippet: string }>;
  };

  describe('the tool loop', () => {
    it('runs file_search for the model, feeds the result back, streams the call and records calls and citations', async () => {
      const owner = `u-${newId()}`;
      const fileId = `f-${newId()}`;
      await chunked(fileId, owner, 'birds.txt', ['Sparrows nest in hedges.', 'The peregrine falcon dives at 390 km/h.']);
      fake.script('gpt-tools', [
        { toolCalls: [{ name: 'file_search', arguments: JSON.stringify({ query: 'falcon speed' }), id: 'call_1' }] },
        { text: 'It dives at 390 km/h [1].' },
      ]);
      const subject = newSubject(owner);
      const before = fake.requestsFor('gpt-tools').length;
      await request(subject, { model: 'tool-model', prompt: 'How fast is a falcon?', tools: ['file_search'], fileIds: [fileId] });
      const outcome = await outcomeOf(subject.streamId);

      const [first, second] = fake.requestsFor('gpt-tools').slice(before);
      expect((first?.body.tools as Array<{ function: { name: string } }>).map((t) => t.function.name)).toEqual(['file_search']);
      const fed = second?.body.messages as Array<{ role: string; content: string | null; tool_call_id?: string; tool_calls?: unknown[] }>;
      expect(fed.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'call_1', function: { name: 'file_search' } }] });
      const toolMessage = fed.at(-1);
      expect(toolMessage).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
      const result = JSON.parse(String(toolMessage?.content)) as { passages: Array<{ fileId: string; chunkIndex: number; text: string }> };
      expect(result.passages[0]).toMatchObject({ fileId, chunkIndex: 1, text: 'The peregrine falcon dives at 390 km/h.' });

      expect(outcome.type).toBe('generation.completed');
      const payload = outcome.payload as Payload;
      expect(payload.content).toBe('It dives at 390 km/h [1].');
      expect(payload.toolCalls).toEqual([
        expect.objectContaining({ name: 'file_search', outcome: 'OK', arguments: JSON.stringify({ query: 'falcon speed' }) }),
      ]);
      expect(payload.citations?.[0]).toEqual({
        fileId,
        filename: 'birds.txt',
        chunkIndex: 1,
        snippet: 'The peregrine falcon dives at 390 km/h.',
      });

      const entries = (await readStream(h.kv, subject.streamId)).map((e) => e.entry);
      const kinds = entries.map((e) => (e.type === 'tool' ? `tool:${e.phase}` : e.type));
      expect(kinds[0]).toBe('start');
      expect(kinds.slice(1, 3)).toEqual(['tool:started', 'tool:ended']);
      expect(kinds.at(-1)).toBe('done');
      expect(entries[2]).toMatchObject({ type: 'tool', name: 'file_search', outcome: 'OK', summary: '1 passage from "birds.txt"' });
    });

    it("searches the assistant's knowledge files as their owner's, and never another user's attached file", async () => {
      const caller = `u-${newId()}`;
      const assistantOwner = `u-${newId()}`;
      const knowledge = `f-${newId()}`;
      const foreign = `f-${newId()}`;
      await chunked(knowledge, assistantOwner, 'handbook.md', ['Refunds take 14 days.']);
      await chunked(foreign, assistantOwner, 'secret.md', ['Refunds secret plan.']);
      fake.script('gpt-tools', [
        { toolCalls: [{ name: 'file_search', arguments: JSON.stringify({ query: 'refunds' }) }] },
        { text: 'Fourteen days.' },
      ]);
      const subject = newSubject(caller);
      await request(subject, {
        model: 'tool-model',
        prompt: 'Refunds?',
        tools: ['file_search'],
        // The caller names someone else's file as an attachment: searched as the caller's, it is not found.
        fileIds: [foreign],
        knowledge: { ownerId: assistantOwner, fileIds: [knowledge] },
      });
      const payload = (await outcomeOf(subject.streamId)).payload as Payload;
      expect(payload.citations?.map((c) => c.fileId)).toEqual([knowledge]);
    });

    it('gives failing, slow and huge tools a coded outcome, and the answer still ends', async () => {
      fake.script('gpt-tools', [
        {
          toolCalls: [
            { name: 'boom', arguments: '{}' },
            { name: 'slow', arguments: '{}' },
            { name: 'huge', arguments: '{}' },
            { name: 'nope', arguments: '{}' },
            { name: 'file_search', arguments: '{not json' },
          ],
        },
        { text: 'Sorry, the tools failed.' },
      ]);
      const subject = newSubject();
      await request(subject, { model: 'tool-model', prompt: 'Try everything', tools: ['boom', 'slow', 'huge', 'file_search'] });
      const outcome = await outcomeOf(subject.streamId);
      expect(outcome.type).toBe('generation.completed');
      const payload = outcome.payload as Payload;
      expect(payload.content).toBe('Sorry, the tools failed.');
      expect(payload.toolCalls?.map((c) => `${c.name}:${c.outcome}`)).toEqual([
        'boom:TOOL_FAILED',
        'slow:TOOL_TIMEOUT',
        'huge:TOOL_RESULT_TOO_LARGE',
        'nope:TOOL_UNKNOWN',
        'file_search:TOOL_BAD_ARGUMENTS',
      ]);
      const fed = fake.requestsFor('gpt-tools').at(-1)?.body.messages as Array<{ role: string; content: string }>;
      expect(fed.filter((m) => m.role === 'tool').map((m) => (JSON.parse(m.content) as { error: string }).error)).toEqual([
        'TOOL_FAILED',
        'TOOL_TIMEOUT',
        'TOOL_RESULT_TOO_LARGE',
        'TOOL_UNKNOWN',
        'TOOL_BAD_ARGUMENTS',
      ]);
      expect(tools.aborted).toContain('slow:timeout');
    });

    it('stops offering tools after TOOL_MAX_ROUNDS rounds, so the model must answer', async () => {
      fake.script('gpt-tools', [
        { toolCalls: [{ name: 'huge', arguments: '{}' }] },
        { toolCalls: [{ name: 'huge', arguments: '{}' }] },
        { text: 'Giving up on tools.' },
      ]);
      const subject = newSubject();
      const before = fake.requestsFor('gpt-tools').length;
      await request(subject, { model: 'tool-model', prompt: 'Loop', tools: ['huge'] });
      const payload = (await outcomeOf(subject.streamId)).payload as Payload;
      const sent = fake.requestsFor('gpt-tools').slice(before);
      expect(sent.map((r) => Array.isArray(r.body.tools))).toEqual([true, true, false]);
      expect(payload.toolCalls).toHaveLength(2);
      expect(payload.content).toBe('Giving up on tools.');
    });

    it('a stop aborts the running tool call and ends the message ABORTED', async () => {
      // An instance whose calls never time out, so only the stop can end the waiting tool.
      const patient = await target.start({
        catalog: catalogFor(fake.baseURL),
        toolSources: [tools],
        fileChunkIndex: target.newIndex(),
        env: { TITLES_ENABLED: 'false', TOOL_CALL_TIMEOUT_MS: '600000', TOOL_LOOP_BUDGET_MS: '600000' },
      });
      try {
        const seen = await collectEvents(patient);
        fake.script('gpt-tools', [{ toolCalls: [{ name: 'wait', arguments: '{}' }] }, { text: 'never sent' }]);
        const subject = newSubject();
        const before = fake.requestsFor('gpt-tools').length;
        await request(subject, { model: 'tool-model', prompt: 'Wait', tools: ['wait'] }, patient);
        await eventually(
          () => tools.running.has('wait'),
          (running) => running,
        );
        await patient.kv.publish(
          GENERATION_CONTROL_CHANNEL,
          JSON.stringify({ type: 'stop', streamId: subject.streamId, requestedBy: subject.ownerId }),
        );
        const outcome = await outcomeOf(subject.streamId, seen);
        expect(tools.aborted).toContain('wait:stop');
        expect(outcome.payload).toMatchObject({
          finishReason: 'aborted',
          toolCalls: [expect.objectContaining({ outcome: 'TOOL_STOPPED' })],
        });
        // No round after the stop.
        expect(fake.requestsFor('gpt-tools').length - before).toBe(1);
        const last = (await readStream(patient.kv, subject.streamId)).at(-1)?.entry;
        expect(last).toMatchObject({ type: 'done', outcome: 'ABORTED' });
      } finally {
        await patient.dispose();
      }
    });

    it('the local demo model calls file_search for a message starting with "search:"', async () => {
      const owner = `u-${newId()}`;
      const fileId = `f-${newId()}`;
      await chunked(fileId, owner, 'notes.txt', ['The launch is on Tuesday.']);
      const subject = newSubject(owner);
      await request(subject, { model: 'local-demo', prompt: 'search: launch', tools: ['file_search'], fileIds: [fileId] });
      const payload = (await outcomeOf(subject.streamId)).payload as Payload;
      expect(payload.toolCalls).toEqual([expect.objectContaining({ name: 'file_search', outcome: 'OK' })]);
      expect(payload.content).toContain('[1] "notes.txt" (chunk 0): "The launch is on Tuesday."');
      expect(payload.citations?.[0]?.fileId).toBe(fileId);
    });

    it('forgets a deleted file: its chunks are gone and a redelivered batch does not bring them back', async () => {
      const owner = `u-${newId()}`;
      const fileId = `f-${newId()}`;
      await chunked(fileId, owner, 'old.txt', ['Obsolete pricing table.']);
      const deleted = fileFileV1.create('file.deleted', { fileId, ownerId: owner }, {});
      const again = fileFileV1.create(
        'file.chunked',
        { fileId, ownerId: owner },
        {
          filename: 'old.txt',
          chunks: [{ index: 0, text: 'Obsolete pricing table.', tokens: 3 }],
          chunkCount: 1,
        },
      );
      // A marker file after both, on the same partition key's topic, tells when they were handled.
      await h.bus.publish(fileFileV1.topic, [
        { key: fileId, event: deleted },
        { key: fileId, event: again },
      ]);
      const marker = `f-${newId()}`;
      const markerEvent = fileFileV1.create(
        'file.chunked',
        { fileId: marker, ownerId: owner },
        {
          filename: 'm.txt',
          chunks: [{ index: 0, text: 'marker', tokens: 1 }],
          chunkCount: 1,
        },
      );
      await h.bus.publish(fileFileV1.topic, [{ key: fileId, event: markerEvent }]);
      await eventually(
        () => index.search({ ownerId: owner, mode: 'keyword', text: 'marker', size: 5 }),
        (r) => r.hits.length > 0,
      );
      const found = await index.search({ ownerId: owner, mode: 'keyword', text: 'pricing', size: 5 });
      expect(found.hits).toEqual([]);
    });
  });
}
