import { aiCatalogV1, EventValidationError, MODEL_CATALOG_ID, topicContract, validateEvent } from '..';

describe('ai.catalog.v1', () => {
  const published = () =>
    aiCatalogV1.create(
      'catalog.published',
      { catalogId: MODEL_CATALOG_ID },
      { models: [{ id: 'local-demo', contextWindow: 8192, capabilities: ['chat'] }] },
    );

  it('is registered and keyed by the fixed catalog id, so the latest catalog wins on one key', () => {
    expect(topicContract('ai.catalog.v1')).toBeDefined();
    const event = published();
    expect(aiCatalogV1.keyOf(event)).toBe('models');
    expect(validateEvent('ai.catalog.v1', JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('refuses a model without a positive integer context window or with a non-string capability', () => {
    const event = published();
    const bad = (model: unknown) => () => validateEvent('ai.catalog.v1', { ...event, payload: { models: [model] } });
    expect(bad({ id: 'x', contextWindow: 0, capabilities: [] })).toThrow(EventValidationError);
    expect(bad({ id: 'x', contextWindow: 1.5, capabilities: [] })).toThrow(EventValidationError);
    expect(bad({ id: 'x', contextWindow: 10, capabilities: [3] })).toThrow(EventValidationError);
    expect(bad({ contextWindow: 10, capabilities: [] })).toThrow(EventValidationError);
    expect(bad({ id: 'x', contextWindow: 10, capabilities: [], inputPricePerMTok: -1 })).toThrow(EventValidationError);
    expect(bad({ id: 'x', contextWindow: 10, capabilities: [], outputPricePerMTok: 'free' })).toThrow(EventValidationError);
  });
});
