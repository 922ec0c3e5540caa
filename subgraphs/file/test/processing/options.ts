import type { FileProcessorOptions } from '../../src/processing';

/** Budgets for tests: generous time (the machine is shared), a heap that fits the tokenizer. */
export const TEST_OPTIONS: FileProcessorOptions = {
  timeoutMs: 60_000,
  maxMemoryMb: 128,
  maxTextChars: 1_000_000,
  chunkTokens: 200,
  chunkOverlapTokens: 30,
  concurrency: 2,
};
