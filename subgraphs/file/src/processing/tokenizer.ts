import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';

/**
 * The chunker's tokenizer: cl100k_base (GPT-3.5/4, text-embedding-3). o200k_base (GPT-4o) counts
 * within a few percent of it on prose but takes four times longer to load (~1.7 s against
 * ~0.4 s), and each worker loads its own; a chunk's budget does not need the exact model's count.
 */
export const TOKENIZER_ENCODING = 'cl100k_base';

let encoder: Tiktoken | undefined;

/** The shared encoder, built on first use (its ranks take ~34 MB of heap). */
export function tokenizer(): Tiktoken {
  encoder ??= new Tiktoken(cl100kBase);
  return encoder;
}

/** Tokens in `text`. */
export function countTokens(text: string): number {
  return tokenizer().encode(text).length;
}
