import type { ServerResponse } from 'node:http';
import { HttpError, sendJson, type HttpRequest, type Logger, type Principal } from '@chatgraph/kit';
import { DEMO_EMBEDDING_MODEL_ID } from '../catalog';
import type { DeploymentRegistry } from '../deployments';
import { demoEmbedding } from '../providers/demoProvider';
import { ProviderError } from '../providers/types';

/**
 * Embeddings for other services (search), on the signed route `POST /internal/embeddings`:
 * `{ model?, input: string[] }` -> `{ model, dimensions, vectors }`. The model defaults to the
 * catalog's `embeddingModel`; its deployments are tried in route order (open circuits skipped).
 * Without a configured embedding model, a deterministic local hashing embedding answers.
 */

export const MAX_EMBEDDING_INPUTS = 128;
export const MAX_EMBEDDING_INPUT_CHARS = 16_000;

export interface EmbeddingsResult {
  model: string;
  dimensions: number;
  vectors: number[][];
}

/** Validates the request body; throws BAD_USER_INPUT naming the field. */
export function parseEmbeddingRequest(body: unknown): { model?: string; input: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError('BAD_USER_INPUT', 'The body must be a JSON object { model?, input }');
  const { model, input } = body as Record<string, unknown>;
  if (model !== undefined && (typeof model !== 'string' || model.length === 0 || model.length > 200))
    throw new HttpError('BAD_USER_INPUT', 'model must be a model id');
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_EMBEDDING_INPUTS)
    throw new HttpError('BAD_USER_INPUT', `input must be a list of 1 to ${MAX_EMBEDDING_INPUTS} strings`);
  input.forEach((text, i) => {
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_EMBEDDING_INPUT_CHARS)
      throw new HttpError('BAD_USER_INPUT', `input[${i}] must be a string of 1 to ${MAX_EMBEDDING_INPUT_CHARS} characters`);
  });
  return { ...(model !== undefined ? { model: model as string } : {}), input: input as string[] };
}

export class EmbeddingService {
  constructor(
    private readonly registry: DeploymentRegistry,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  async embed(request: { model?: string; input: string[] }): Promise<EmbeddingsResult> {
    const modelId = request.model ?? this.registry.catalog.embeddingModel;
    const model = this.registry.model(modelId);
    if (!model) {
      if (modelId === DEMO_EMBEDDING_MODEL_ID) return this.local(modelId, request.input);
      throw new HttpError('BAD_USER_INPUT', `model ${modelId} is not in the catalog`);
    }
    if (!model.capabilities.includes('embeddings')) throw new HttpError('BAD_USER_INPUT', `model ${modelId} has no embeddings capability`);
    for (const deployment of this.registry.attemptOrder(modelId)) {
      if (!deployment.breaker.tryAcquire()) continue;
      try {
        const vectors = await deployment.provider.embed({
          model: deployment.model,
          input: request.input,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        deployment.breaker.onSuccess();
        return { model: modelId, dimensions: vectors[0]?.length ?? 0, vectors };
      } catch (error) {
        deployment.breaker.onFailure();
        const message = error instanceof ProviderError ? error.message : 'embedding failed';
        deployment.recordError(message, new Date());
        this.logger.warn({ err: error, deployment: deployment.id }, 'embedding failed on a deployment');
        if (error instanceof ProviderError && error.status === 400)
          throw new HttpError('BAD_USER_INPUT', `the provider refused the input (${error.status ?? 'client error'})`);
      }
    }
    throw new HttpError('UNAVAILABLE', `no deployment of ${modelId} could compute embeddings`);
  }

  private local(model: string, input: string[]): EmbeddingsResult {
    const vectors = input.map((text) => demoEmbedding(text));
    return { model, dimensions: vectors[0]?.length ?? 0, vectors };
  }

  /** The signed route's handler. Any signed caller may use it except an anonymous one. */
  readonly handle = async (req: HttpRequest, res: ServerResponse, principal: Principal): Promise<void> => {
    if (principal.kind === 'anonymous') throw new HttpError('UNAUTHENTICATED', 'Embeddings need a service or user principal');
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      throw new HttpError('BAD_USER_INPUT', 'The body is not valid JSON');
    }
    sendJson(res, 200, await this.embed(parseEmbeddingRequest(body)));
  };
}
