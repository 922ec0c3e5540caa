import { generationCost } from '../src/pricing';

const none = { inputPricePerMTok: 0, outputPricePerMTok: 0 };

describe('generationCost', () => {
  it('is tokens × dollars per million tokens in credits (1,000 credits = $0.001), rounded up', () => {
    // gpt-4o-mini-like prices: $0.15 / $0.60 per million tokens.
    const price = { id: 'm', inputPricePerMTok: 0.15, outputPricePerMTok: 0.6 };
    expect(generationCost({ promptTokens: 1000, completionTokens: 500 }, price, none)).toBe(450);
    expect(generationCost({ promptTokens: 1, completionTokens: 0 }, price, none)).toBe(1);
    expect(generationCost({ promptTokens: 0, completionTokens: 0 }, price, none)).toBe(0);
  });

  it('does not add a credit for floating-point noise', () => {
    const price = { id: 'm', inputPricePerMTok: 0.1, outputPricePerMTok: 0.2 };
    expect(generationCost({ promptTokens: 10, completionTokens: 10 }, price, none)).toBe(3);
  });

  it('uses the unpriced rates for a model without prices', () => {
    expect(generationCost({ promptTokens: 10, completionTokens: 10 }, null, { inputPricePerMTok: 1, outputPricePerMTok: 2 })).toBe(30);
    expect(
      generationCost(
        { promptTokens: 10, completionTokens: 10 },
        { id: 'm', inputPricePerMTok: null, outputPricePerMTok: 5 },
        { inputPricePerMTok: 1, outputPricePerMTok: 2 },
      ),
    ).toBe(60);
  });
});
