import { z } from 'zod';
import {
  aiCatalogV1,
  aiGenerationV1,
  catalogModelSchema,
  conversationConversationV1,
  EventValidationError,
  identityUserV1,
  MODEL_CATALOG_ID,
  rateLimitBalanceV1,
  v,
  type CatalogModel,
} from '..';

/**
 * The contracts are zod schemas: every refusal names the field and says what is wrong in words
 * a person reads, and the types producers and consumers use are the schemas' own (z.infer).
 */

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof EventValidationError) return error.message;
    throw error;
  }
  throw new Error('expected an EventValidationError');
}

const envelope = { id: 'e1', occurredAt: '2026-01-02T03:04:05.678Z' };
const generation = { conversationId: 'c1', messageId: 'm1', streamId: 's1', ownerId: 'u1' };

describe('contract refusals', () => {
  it('say which field and why, for each topic', () => {
    expect(
      messageOf(() => identityUserV1.validate({ ...envelope, type: 'user.disabled', subject: { userId: 'u 1' }, payload: { by: 'a' } })),
    ).toBe('subject.userId: must be an id (letters, digits, _ . : -)');
    expect(
      messageOf(() =>
        conversationConversationV1.validate({
          ...envelope,
          type: 'conversation.updated',
          subject: { conversationId: 'c1', ownerId: 'u1' },
          payload: { pinned: null },
        }),
      ),
    ).toMatch(/^payload\.pinned: .*expected boolean, received null/);
    expect(
      messageOf(() =>
        aiGenerationV1.validate({
          ...envelope,
          type: 'generation.requested',
          subject: generation,
          payload: {
            model: 'm',
            messages: [
              { role: 'USER', content: 'hi' },
              { role: 'ROBOT', content: '' },
            ],
            droppedMessages: 0,
            estimatedPromptTokens: 1,
          },
        }),
      ),
    ).toMatch(/^payload\.messages\[1\]\.role: .*expected one of "USER"\|"ASSISTANT"\|"SYSTEM"/);
    expect(
      messageOf(() =>
        aiCatalogV1.validate({
          ...envelope,
          type: 'catalog.published',
          subject: { catalogId: MODEL_CATALOG_ID },
          payload: { models: [{ id: 'x', contextWindow: 0, capabilities: [] }] },
        }),
      ),
    ).toMatch(/^payload\.models\[0\]\.contextWindow: Too small: .*>=1/);
    expect(
      messageOf(() =>
        rateLimitBalanceV1.validate({
          ...envelope,
          type: 'balance.changed',
          subject: { userId: 'u1' },
          payload: { credits: 2 ** 31, version: 1, reason: 'grant' },
        }),
      ),
    ).toMatch(/^payload\.credits: Too big: .*<=2147483647/);
    expect(
      messageOf(() => identityUserV1.validate({ ...envelope, type: 'user.updated', subject: { userId: 'u1' }, payload: { locale: 'fr' } })),
    ).toBe('payload: must set at least one of email, name, emailVerified');
    expect(messageOf(() => identityUserV1.validate('user.registered'))).toMatch(/^event: .*expected object, received string/);
  });

  it('keep unknown fields at every depth, so an additive change breaks no older consumer', () => {
    const published = {
      ...envelope,
      type: 'catalog.published',
      subject: { catalogId: MODEL_CATALOG_ID },
      payload: { models: [{ id: 'x', contextWindow: 8, capabilities: ['chat'], vendor: 'acme' }], etag: 'w/1' },
    };
    expect(aiCatalogV1.validate(published)).toEqual(published);
  });
});

describe('contract types', () => {
  it('are inferred from the schemas', () => {
    const model: CatalogModel = { id: 'x', contextWindow: 8, capabilities: ['chat'] };
    const same: z.infer<typeof catalogModelSchema> = model;
    expect(v.check(catalogModelSchema, same, 'model')).toBe(model);
    expect(() => v.check(catalogModelSchema, { ...model, inputPricePerMTok: -1 }, 'model')).toThrow(/^model\.inputPricePerMTok: Too small/);
  });
});
