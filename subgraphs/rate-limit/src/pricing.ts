import type { ModelPrice } from './modelPrices';

/** Prices (US dollars per million tokens) for a model the catalog does not price (UNPRICED_* config). */
export interface UnpricedRates {
  inputPricePerMTok: number;
  outputPricePerMTok: number;
}

/**
 * What a generation costs, in credits. With 1,000 credits = $0.001 one credit is a millionth of
 * a dollar, so a price in dollars per million tokens is exactly credits per token:
 * `promptTokens × input price + completionTokens × output price`, rounded up to a whole credit
 * (a generation with tokens is never free unless its model is priced 0).
 */
export function generationCost(
  usage: { promptTokens: number; completionTokens: number },
  price: ModelPrice | null,
  unpriced: UnpricedRates,
): number {
  const input = price?.inputPricePerMTok ?? unpriced.inputPricePerMTok;
  const output = price?.outputPricePerMTok ?? unpriced.outputPricePerMTok;
  // Rounded to micro-credits first, so floating error (0.1 + 0.2) never adds a whole credit.
  const exact = Math.round((usage.promptTokens * input + usage.completionTokens * output) * 1e6) / 1e6;
  return Math.ceil(exact);
}

/** The UTC day of `at`, `YYYY-MM-DD`. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);
