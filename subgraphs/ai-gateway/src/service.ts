import { codedError, type Principal } from '@chatgraph/kit';
import type { ModelSpec } from './catalog';
import type { DeploymentRegistry, DeploymentStatus } from './deployments';

/**
 * ai-gateway's rules. The read side the graph calls is here (`AiGatewayService`: the catalog's
 * models with their live availability, the deployments' health for administrators, and who may
 * see what). The write side is driven by events, not by the graph, and lives in `domain/`, one
 * topic per file, exported below so `server.ts` builds every rule from this one module:
 *
 * - `domain/generations.ts`: this instance's generations (accept, queue, concurrency bounds, stop,
 *   heartbeats, sweep, drain), served round-robin by owner (`domain/fairQueue.ts`);
 * - `domain/generationRunner.ts`: one generation from its document to its outcome (outbox before
 *   the stream's `done`), its title asked for alongside;
 * - `domain/routedGeneration.ts`: retries, backoff, fallback over deployments, timeouts;
 * - `domain/toolLoop.ts`: the tool loop of assistant threads with tools (rounds, calls, budget);
 * - `domain/recovery.ts`, `domain/retention.ts`: generations of dead instances, old documents;
 * - `domain/titles.ts`, `domain/embeddings.ts`, `domain/usage.ts`: titles, embeddings for other
 *   services, counted usage;
 * - `domain/attachments.ts`: what a model is shown of the files attached to a request (document
 *   text within a budget, image parts for vision models, notes for the rest).
 *
 * Adapters and plumbing stay outside: the catalog file (`catalog.ts`), live deployments and their
 * circuit breakers (`deployments.ts`), providers, the token-stream writer, the store and events.
 */
export { GenerationScheduler, type GenerationSchedulerOptions } from './domain/generations';
export { GenerationRunner } from './domain/generationRunner';
export { TitleGenerator } from './domain/titles';
export { EmbeddingService } from './domain/embeddings';
export { AttachmentResolver } from './domain/attachments';

export interface ModelView extends ModelSpec {
  provider: string;
  available: boolean;
}

export class AiGatewayService {
  constructor(private readonly registry: DeploymentRegistry) {}

  private view(model: ModelSpec): ModelView {
    const first = this.registry.routesOf(model.id)[0];
    return { ...model, provider: first?.deployment.provider.id ?? 'none', available: this.registry.isAvailable(model.id) };
  }

  /** The catalog's models, in catalog order; with `capability` (a catalog word, e.g. `chat`), only those that have it. */
  models(capability?: string): ModelView[] {
    const all = this.registry.allModels();
    return (capability ? all.filter((m) => m.capabilities.includes(capability)) : all).map((m) => this.view(m));
  }

  model(id: string): ModelView | null {
    const model = this.registry.model(id);
    return model ? this.view(model) : null;
  }

  /** ADMIN only: UNAUTHENTICATED for anonymous callers, FORBIDDEN for everyone else. */
  providers(principal: Principal): DeploymentStatus[] {
    if (principal.kind === 'anonymous') throw codedError('UNAUTHENTICATED');
    if (principal.kind !== 'user' || principal.role !== 'ADMIN')
      throw codedError('FORBIDDEN', 'Only administrators may see provider health');
    return this.registry.status();
  }
}
