import { ProviderError, type ChatChunk, type ChatProvider, type ChatRequest } from '../../src/providers/types';

/**
 * A provider for lifecycle tests: streams `chunks`, then holds the stream open until the request
 * is aborted (stop, drain) — so a test can act "mid-stream" without racing a clock.
 */
export class GatedProvider implements ChatProvider {
  readonly kind = 'openai' as const;
  /** Resolves each time a stream has sent all its chunks and is waiting. */
  waiting = 0;

  constructor(
    readonly id: string,
    private readonly chunks: string[] = ['partial ', 'answer '],
  ) {}

  async *streamChat(request: ChatRequest): AsyncIterable<ChatChunk> {
    for (const chunk of this.chunks) yield { delta: chunk };
    this.waiting++;
    await new Promise<void>((resolve) => {
      if (request.signal.aborted) resolve();
      request.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    throw new ProviderError('aborted', 'the request was aborted');
  }

  async completeChat(): Promise<{ text: string }> {
    return { text: 'Gated title' };
  }

  async embed(request: { input: string[] }): Promise<number[][]> {
    return request.input.map(() => [1, 0]);
  }
}
