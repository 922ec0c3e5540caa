import { signRequest, type Logger, type Principal } from '@chatgraph/kit';
import { EMBEDDABLE, EmbeddingUnavailableError, type Embedder, type Embeddings } from './embedding';

/** search as the caller of ai-gateway's signed routes. */
export const SEARCH_SERVICE_PRINCIPAL: Principal = { kind: 'service', name: 'search' };

/** ai-gateway's route limits (`MAX_EMBEDDING_INPUTS`, `MAX_EMBEDDING_INPUT_CHARS` in its embeddings.ts). */
export const GATEWAY_MAX_INPUTS = 128;
export const GATEWAY_MAX_INPUT_CHARS = 16_000;

export interface GatewayEmbedderOptions {
  /**
   * ai-gateway's base URL (`AI_GATEWAY_URL`); the route is `<url>/internal/embeddings`. A function
   * when it is known only later (the one-process launcher's ports are picked at start).
   */
  url: string | (() => string | undefined);
  signingSecret: string;
  /** Dimensions the index is built for; an answer of other dimensions is refused (never stored). */
  dims: number;
  /** The catalog model to ask for; absent: the catalog's `embeddingModel`, learned from the answers. */
  model?: string;
  /** Texts per request, 1..128 (the route's maximum). */
  batchSize?: number;
  /** Per-request time bound. */
  timeoutMs: number;
  /** Tries per batch (the first included) on a network failure, a timeout, 429 or 5xx. */
  attempts: number;
  /** Backoff before the second try; doubled for each next one (with jitter). */
  backoffMs: number;
  /**
   * After ai-gateway could not answer, calls fail at once for this long instead of each waiting
   * out its tries (so a silent ai-gateway does not hold the indexing consumer for every event).
   */
  cooldownMs?: number;
  /** The clock of the cooldown (tests). */
  now?: () => number;
  logger: Logger;
}

/** What a failed try says: worth another try (down, busy) or not (the answer itself is wrong). */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Embeddings through ai-gateway's signed `POST /internal/embeddings` (a compute call: the
 * catalog's embedding model, OpenAI-compatible, or ai-gateway's local demo embedding). Texts are
 * sent in batches of up to `batchSize`, each request signed as the `search` service and bounded by
 * `timeoutMs`, retried with exponential backoff on network failures, timeouts, 429 and 5xx. A
 * text without a letter or digit is not sent (null vector); a longer text than the route takes is
 * cut to its first 16,000 characters (what an embedding model reads of it anyway).
 * When ai-gateway cannot answer after the tries, `EmbeddingUnavailableError`: the indexing
 * consumer keeps the document keyword-indexed and marked for embedding, queries are refused.
 */
export function gatewayEmbedder(options: GatewayEmbedderOptions): Embedder {
  const endpoint = (): string | undefined => {
    const base = typeof options.url === 'function' ? options.url() : options.url;
    return base === undefined ? undefined : `${base.replace(/\/+$/, '')}/internal/embeddings`;
  };
  const batchSize = Math.min(GATEWAY_MAX_INPUTS, Math.max(1, options.batchSize ?? GATEWAY_MAX_INPUTS));
  let latestModel = options.model;
  const now = options.now ?? Date.now;
  /** Until when calls fail at once (ai-gateway just failed every try). */
  let coolingUntil = 0;

  const attempt = async (input: string[]): Promise<{ model: string; vectors: number[][] }> => {
    const body = JSON.stringify({ ...(options.model ? { model: options.model } : {}), input });
    const url = endpoint();
    if (url === undefined)
      throw new AttemptError('ai-gateway is not known yet (the one-process launcher connects it once it listens)', false);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signRequest(options.signingSecret, SEARCH_SERVICE_PRINCIPAL, body) },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new AttemptError(`ai-gateway unreachable: ${error instanceof Error ? error.message : String(error)}`, true);
    }
    const payload: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const message = (payload as { errors?: Array<{ message?: string }> } | undefined)?.errors?.[0]?.message ?? `status ${res.status}`;
      throw new AttemptError(`ai-gateway refused embeddings (${res.status}): ${message}`, res.status === 429 || res.status >= 500);
    }
    const answer = payload as { model?: unknown; dimensions?: unknown; vectors?: unknown } | undefined;
    const vectors = answer?.vectors;
    if (typeof answer?.model !== 'string' || !Array.isArray(vectors) || vectors.length !== input.length)
      throw new AttemptError('ai-gateway answered embeddings of another shape', false);
    if (answer.dimensions !== options.dims || !vectors.every((v) => Array.isArray(v) && v.length === options.dims))
      // A configuration error (the model and SEARCH_EMBEDDING_DIMENSIONS disagree): never stored.
      throw new AttemptError(`${answer.model} answered ${String(answer.dimensions)} dimensions, the index has ${options.dims}`, false);
    return { model: answer.model, vectors: vectors as number[][] };
  };

  const batch = async (input: string[]): Promise<{ model: string; vectors: number[][] }> => {
    if (now() < coolingUntil) throw new EmbeddingUnavailableError('ai-gateway could not answer a moment ago; not asked again yet');
    for (let tried = 1; ; tried++) {
      try {
        return await attempt(input);
      } catch (error) {
        const failure = error as AttemptError;
        if (!failure.retriable || tried >= options.attempts) {
          // Only when ai-gateway is down or busy: a refused input says nothing about the next one.
          if (failure.retriable) coolingUntil = now() + (options.cooldownMs ?? 0);
          throw new EmbeddingUnavailableError(failure.message, { cause: error });
        }
        const delay = options.backoffMs * 2 ** (tried - 1);
        options.logger.warn({ err: failure.message, tried, delayMs: delay }, 'embeddings failed, retrying');
        await wait(delay / 2 + Math.random() * (delay / 2));
      }
    }
  };

  const embed = async (texts: readonly string[]): Promise<Embeddings> => {
    const vectors: (number[] | null)[] = texts.map(() => null);
    const wanted = texts.flatMap((text, i) => (EMBEDDABLE.test(text) ? [i] : []));
    let model = latestModel;
    for (let start = 0; start < wanted.length; start += batchSize) {
      const positions = wanted.slice(start, start + batchSize);
      const answer = await batch(positions.map((i) => (texts[i] ?? '').slice(0, GATEWAY_MAX_INPUT_CHARS)));
      // One call's vectors must share a model: a catalog switch mid-call is refused and retried later.
      if (model !== undefined && answer.model !== model && start > 0)
        throw new EmbeddingUnavailableError(`the embedding model changed from ${model} to ${answer.model} during one call`);
      model = answer.model;
      positions.forEach((position, j) => {
        const vector = answer.vectors[j] ?? [];
        // A zero vector has no direction (cosine is undefined): nothing to compare.
        vectors[position] = vector.some((x) => x !== 0) ? vector : null;
      });
    }
    if (model === undefined) model = await currentModel();
    latestModel = model;
    return { model, vectors };
  };

  /** The configured model, or the one ai-gateway answers with now (one short probe). */
  const currentModel = async (): Promise<string> => {
    if (options.model) return options.model;
    const answer = await batch(['embedding model probe']);
    latestModel = answer.model;
    return answer.model;
  };

  return { dims: options.dims, currentModel, embed };
}
