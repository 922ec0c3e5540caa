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

/** A run of non-space characters longer than any word; js-tiktoken's merge is worse than quadratic in one. */
const LONG_RUN = /\S{65,}/g;
const RUN_PIECE = 64;

/**
 * Tokens in `text`. Exact for text whose words are words; a run of more than 64 non-space
 * characters (a base64 blob, a line of `=`, an attack) is counted 64 characters at a time, one
 * token or so too many per piece, because encoding it whole costs seconds (4,000 letters: ~4 s).
 */
export function countTokens(text: string): number {
  const encoder = tokenizer();
  let tokens = 0;
  let from = 0;
  for (const run of text.matchAll(LONG_RUN)) {
    tokens += encoder.encode(text.slice(from, run.index)).length;
    for (let at = 0; at < run[0].length; at += RUN_PIECE) tokens += encoder.encode(run[0].slice(at, at + RUN_PIECE)).length;
    from = run.index + run[0].length;
  }
  return tokens + encoder.encode(text.slice(from)).length;
}
