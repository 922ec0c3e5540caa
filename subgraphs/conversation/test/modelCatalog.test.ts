import { aiCatalogV1, MODEL_CATALOG_ID } from '@chatgraph/schema';
import { newId } from '@chatgraph/kit';
import { modelCatalogSpec } from '../src/modelCatalog';
import { codeOf, eventually, send, startConversation, userPrincipal, type Harness } from './harness';

/**
 * Conversation refuses a model missing from ai-gateway's published catalog (`ai.catalog.v1`) at
 * the mutation, with BAD_USER_INPUT `field: 'model'` and no write; until it has seen a catalog it
 * accepts any model (the bootstrap rule in modelCatalog.ts).
 */
describe('model names are checked against the published catalog', () => {
  // A user per turn: turns stay PENDING here (no ai-gateway), and admission caps open ones per user.
  const someone = () => userPrincipal(`user-${newId()}`);
  let h: Harness;

  beforeAll(async () => {
    h = await startConversation();
  }, 30_000);
  afterAll(() => h?.dispose(), 30_000);

  const counts = async () => ({
    conversations: await h.collections.conversations.count({}),
    messages: await h.collections.messages.count({}),
  });
  const sendWith = (model: string) =>
    h.gql(someone(), 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }', { i: { content: 'hello', model } });
  const publish = async (models: Array<{ id: string; capabilities?: string[] }>, occurredAt: Date) => {
    const event = aiCatalogV1.create(
      'catalog.published',
      { catalogId: MODEL_CATALOG_ID },
      { models: models.map((m) => ({ id: m.id, contextWindow: 8192, capabilities: m.capabilities ?? ['chat'] })) },
      { occurredAt },
    );
    await h.bus.publish(aiCatalogV1.topic, [{ key: MODEL_CATALOG_ID, event }]);
  };
  const catalogIds = async () => {
    const res = await sendWith('model-b');
    return codeOf(res) === undefined;
  };

  it('accepts any model before a catalog was seen, then refuses unknown ones with field model and writes nothing', async () => {
    // Bootstrap: no catalog yet, so a model ai-gateway may well serve is not refused.
    expect(codeOf(await sendWith('not-published-yet'))).toBeUndefined();

    await publish(
      [{ id: 'local-demo' }, { id: 'model-b' }, { id: 'embed-only', capabilities: ['embeddings'] }],
      new Date('2026-01-01T00:00:00Z'),
    );
    const stored = await eventually(
      () => h.store.collection(modelCatalogSpec).findById(MODEL_CATALOG_ID),
      (doc) => doc !== null,
    );
    expect(stored).not.toBeNull();

    const before = await counts();
    const refused = await sendWith('no-such-model');
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.extensions?.field).toBe('model');
    expect(codeOf(await sendWith('embed-only'))).toBe('BAD_USER_INPUT');
    const create = await h.gql(someone(), 'mutation { createConversation(input: { model: "no-such-model" }) { id } }');
    expect(codeOf(create)).toBe('BAD_USER_INPUT');
    expect(await counts()).toEqual(before);

    const turn = await send(h, someone(), { content: 'hi', model: 'local-demo' });
    expect(turn.assistantMessage.status).toBe('PENDING');
  });

  it('refuses a model on editMessage and regenerateMessage too', async () => {
    const ada = someone();
    const turn = await send(h, ada, { content: 'question', model: 'local-demo' });
    const before = await counts();
    const edit = await h.gql(
      ada,
      'mutation($id: ID!) { editMessage(input: { messageId: $id, content: "again", model: "no-such-model" }) { streamId } }',
      { id: turn.userMessage.id },
    );
    expect(codeOf(edit)).toBe('BAD_USER_INPUT');
    expect(edit.errors?.[0]?.extensions?.field).toBe('model');
    const regen = await h.gql(ada, 'mutation($id: ID!) { regenerateMessage(messageId: $id, model: "no-such-model") { streamId } }', {
      id: turn.assistantMessage.id,
    });
    expect(codeOf(regen)).toBe('BAD_USER_INPUT');
    expect(await counts()).toEqual(before);
  });

  it('updateConversation changes the model (checked against the catalog) and the system prompt', async () => {
    const ada = someone();
    const id = (await h.gql(ada, 'mutation { createConversation(input: { model: "local-demo" }) { id } }')).data?.createConversation as {
      id: string;
    };
    const update = (input: Record<string, unknown>) =>
      h.gql(
        ada,
        'mutation($id: ID!, $i: UpdateConversationInput!) { updateConversation(id: $id, input: $i) { model systemPrompt title } }',
        { id: id.id, i: input },
      );
    const refused = await update({ model: 'no-such-model', systemPrompt: 'ignored' });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'model' });
    expect(codeOf(await update({ model: 'embed-only' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await update({ systemPrompt: 'x'.repeat(32_001) }))).toBe('BAD_USER_INPUT');
    // Nothing was written by the refusals.
    expect(await h.collections.conversations.findById(id.id)).toMatchObject({ model: 'local-demo', systemPrompt: null });
    expect((await update({ model: 'model-b', systemPrompt: 'Answer in French.' })).data?.updateConversation).toEqual({
      model: 'model-b',
      systemPrompt: 'Answer in French.',
      title: 'New conversation',
    });
    expect((await update({ systemPrompt: '' })).data?.updateConversation).toMatchObject({ model: 'model-b', systemPrompt: null });
  });

  it('keeps the newest catalog: a later one replaces it, an older one delivered late does not', async () => {
    await publish([{ id: 'local-demo' }], new Date('2026-02-01T00:00:00Z'));
    expect(await eventually(catalogIds, (accepted) => !accepted)).toBe(false);
    await publish([{ id: 'local-demo' }, { id: 'model-b' }], new Date('2025-12-01T00:00:00Z'));
    await publish([{ id: 'local-demo' }, { id: 'model-c' }], new Date('2026-03-01T00:00:00Z'));
    const modelC = await eventually(
      async () => codeOf(await sendWith('model-c')),
      (code) => code === undefined,
    );
    expect(modelC).toBeUndefined();
    // The older catalog (which listed model-b) was consumed before the newest and never won.
    expect(codeOf(await sendWith('model-b'))).toBe('BAD_USER_INPUT');
  });
});
