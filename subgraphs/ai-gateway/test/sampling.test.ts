import { aiGenerationV1 } from '@chatgraph/schema';
import { defaultProvider } from '../src/deployments';
import type { ProviderSpec } from '../src/catalog';
import { collectEvents, eventsOf, eventually, newSubject, startAiGateway, type Harness } from './harness';
import { startFakeOpenAI, type FakeOpenAI } from './support/fakeOpenAI';
import { fakeCatalog } from './support/catalogs';

/**
 * An assistant's thread: conversation sends the assistant's instructions as the SYSTEM message and
 * its temperature and top-p in `generation.requested`; the real `openai` SDK must carry them to the
 * provider (the fake server captures the request body).
 */
describe("an assistant thread's request reaches the provider with its system prompt and sampling", () => {
  let fake: FakeOpenAI;
  let h: Harness;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    h = await startAiGateway({
      catalog: fakeCatalog(fake.baseURL, { chat: [{ model: 'chat-sampled' }] }),
      providerFactory: (spec: ProviderSpec) => defaultProvider(spec, 0),
    });
  });
  afterAll(async () => {
    await h.dispose();
    await fake.close();
  });

  async function generate(sampling: { temperature?: number; topP?: number; assistantId?: string; assistantVersion?: number }) {
    const events = await collectEvents(h);
    const subject = newSubject();
    const event = aiGenerationV1.create('generation.requested', subject, {
      model: 'chat',
      messages: [
        { role: 'SYSTEM', content: 'Answer like a pirate.' },
        { role: 'USER', content: 'Hello' },
      ],
      droppedMessages: 0,
      estimatedPromptTokens: 12,
      ...sampling,
    });
    const before = fake.requestsFor('chat-sampled').length;
    await h.bus.publish(aiGenerationV1.topic, [{ key: subject.conversationId, event }]);
    const done = await eventually(
      async () => eventsOf(events, subject.streamId, 'generation.completed'),
      (e) => e.length > 0,
    );
    expect(done).toHaveLength(1);
    const request = fake.requestsFor('chat-sampled')[before];
    if (!request) throw new Error('the provider saw no request');
    return request.body;
  }

  it('sends the system prompt, temperature and top_p', async () => {
    const body = await generate({ temperature: 0.3, topP: 0.9, assistantId: 'asst-1', assistantVersion: 2 });
    expect(body.messages).toEqual([
      { role: 'system', content: 'Answer like a pirate.' },
      { role: 'user', content: 'Hello' },
    ]);
    expect(body).toMatchObject({ temperature: 0.3, top_p: 0.9 });
  });

  it("leaves both out when the request has none (the provider's defaults)", async () => {
    const body = await generate({});
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_p');
  });

  it('sends a temperature of 0 (a falsy value is still a choice)', async () => {
    const body = await generate({ temperature: 0 });
    expect(body).toMatchObject({ temperature: 0 });
    expect(body).not.toHaveProperty('top_p');
  });
});
