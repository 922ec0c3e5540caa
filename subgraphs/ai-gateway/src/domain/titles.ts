import type { Logger } from '@chatgraph/kit';
import type { DeploymentRegistry } from '../deployments';

/**
 * Conversation titles: a short, non-streaming answer of the catalog's `titleModel` (a cheap model)
 * to the conversation's first user message. Best effort: each deployment is tried once in route
 * order, and a failure only costs the title (logged), never the generation.
 */

const TITLE_PROMPT =
  'Write a title of at most six words for a conversation that starts with the next message. Answer with the title only, no quotes, no final punctuation.';
const MAX_TITLE = 80;

/** Cleans a model's answer into a title: one line, no quotes or trailing punctuation, bounded. */
export function cleanTitle(raw: string): string {
  const line =
    raw
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? '';
  const unquoted = line
    .replace(/^(title:\s*)/i, '')
    .replace(/^["'“”«»`*]+|["'“”«»`*]+$/g, '')
    .replace(/[.!?,;:]+$/, '')
    .trim();
  return unquoted.length > MAX_TITLE ? `${unquoted.slice(0, MAX_TITLE - 1).trimEnd()}…` : unquoted;
}

export class TitleGenerator {
  constructor(
    private readonly registry: DeploymentRegistry,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  get model(): string {
    return this.registry.catalog.titleModel;
  }

  /**
   * A title for a conversation starting with `firstUserMessage`, or undefined when none could be
   * made. `signal` gives up early (the answer did not complete, so no title is wanted).
   */
  async generate(firstUserMessage: string, signal?: AbortSignal): Promise<string | undefined> {
    for (const deployment of this.registry.attemptOrder(this.model)) {
      if (signal?.aborted) return undefined;
      if (deployment.breaker.state === 'OPEN') continue;
      try {
        const { text } = await deployment.provider.completeChat({
          model: deployment.model,
          messages: [
            { role: 'system', content: TITLE_PROMPT },
            { role: 'user', content: firstUserMessage.slice(0, 4000) },
          ],
          maxTokens: 24,
          signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs),
        });
        const title = cleanTitle(text);
        if (title.length > 0) return title;
      } catch (error) {
        if (signal?.aborted) return undefined;
        this.logger.warn({ err: error, deployment: deployment.id }, 'title generation failed on a deployment');
      }
    }
    return undefined;
  }
}
