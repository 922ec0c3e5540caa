import { codedError, type Principal } from '@chatgraph/kit';
import type { ModelSpec } from './catalog';
import type { DeploymentRegistry, DeploymentStatus } from './deployments';

/**
 * What the graph reads of ai-gateway: the catalog's models with their live availability, and the
 * deployments' health for administrators. The rules (who may see what) live here, not in resolvers.
 */

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
    if (principal.kind !== 'user' || principal.role !== 'ADMIN') throw codedError('FORBIDDEN', 'Only administrators may see provider health');
    return this.registry.status();
  }
}
