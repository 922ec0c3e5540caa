import type { ModelCatalog, ModelSpec, ProviderSpec, RouteSpec } from './catalog';
import { CircuitBreaker, type CircuitState } from './circuitBreaker';
import { DemoChatProvider } from './providers/demoProvider';
import { OpenAIChatProvider } from './providers/openaiProvider';
import type { ChatProvider } from './providers/types';

/**
 * The live side of the catalog: one `Deployment` per (provider, provider model) pair with its
 * circuit breaker and first-token latency, shared by every model routed to it, and the order in
 * which a request tries a model's deployments (priority, then weighted random, open circuits last
 * out). Health lives in this process only: each instance learns it from its own calls.
 */

const LATENCY_SAMPLES = 100;

export class Deployment {
  /** `<provider>/<model>`: what events and `providers` report. */
  readonly id: string;
  readonly breaker: CircuitBreaker;
  lastErrorAt: Date | null = null;
  lastError: string | null = null;
  private latencies: number[] = [];

  constructor(
    readonly provider: ChatProvider,
    readonly model: string,
    breaker: CircuitBreaker,
  ) {
    this.id = `${provider.id}/${model}`;
    this.breaker = breaker;
  }

  recordFirstToken(latencyMs: number): void {
    this.latencies.push(latencyMs);
    if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
  }

  recordError(message: string, at: Date): void {
    this.lastError = message;
    this.lastErrorAt = at;
  }

  get lastFirstTokenMs(): number | null {
    return this.latencies.at(-1) ?? null;
  }

  /** Median of the last 100 first-token latencies. */
  get firstTokenP50Ms(): number | null {
    if (this.latencies.length === 0) return null;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
  }
}

/** A model's deployment with its routing parameters. */
export interface RoutedDeployment {
  deployment: Deployment;
  priority: number;
  weight: number;
}

export interface DeploymentStatus {
  provider: string;
  model: string;
  deployment: string;
  healthy: boolean;
  circuitState: CircuitState;
  consecutiveFailures: number;
  lastErrorAt: Date | null;
  lastError: string | null;
  firstTokenLatencyP50Ms: number | null;
  firstTokenLatencyLastMs: number | null;
}

export interface DeploymentRegistryOptions {
  catalog: ModelCatalog;
  demoTokenIntervalMs: number;
  circuit: { failureThreshold: number; cooldownMs: number };
  now?: () => number;
  random?: () => number;
  /** Replaces the provider adapters (tests); defaults to the SDK / demo adapters. */
  providerFactory?: (spec: ProviderSpec) => ChatProvider;
}

/** The adapter a provider spec gets by default: the SDK for `openai`, the local demo for `demo`. */
export function defaultProvider(spec: ProviderSpec, demoTokenIntervalMs: number): ChatProvider {
  return spec.kind === 'demo' ? new DemoChatProvider(spec.id, demoTokenIntervalMs) : new OpenAIChatProvider(spec);
}

export class DeploymentRegistry {
  private readonly deployments = new Map<string, Deployment>();
  private readonly routes = new Map<string, RoutedDeployment[]>();
  private readonly models = new Map<string, ModelSpec>();
  private readonly random: () => number;

  constructor(readonly options: DeploymentRegistryOptions) {
    const { catalog } = options;
    this.random = options.random ?? Math.random;
    const providers = new Map(
      catalog.providers.map((spec) => [spec.id, options.providerFactory?.(spec) ?? defaultProvider(spec, options.demoTokenIntervalMs)]),
    );
    for (const model of catalog.models) this.models.set(model.id, model);
    for (const [modelId, routes] of Object.entries(catalog.routes)) {
      this.routes.set(
        modelId,
        routes.map((route) => this.routed(route, providers)),
      );
    }
  }

  private routed(route: RouteSpec, providers: ReadonlyMap<string, ChatProvider>): RoutedDeployment {
    const provider = providers.get(route.provider);
    if (!provider) throw new Error(`route names the unknown provider ${route.provider}`);
    const key = `${route.provider}/${route.model}`;
    let deployment = this.deployments.get(key);
    if (!deployment) {
      deployment = new Deployment(provider, route.model, new CircuitBreaker({ ...this.options.circuit, now: this.options.now }));
      this.deployments.set(key, deployment);
    }
    return { deployment, priority: route.priority, weight: route.weight };
  }

  get catalog(): ModelCatalog {
    return this.options.catalog;
  }

  model(id: string): ModelSpec | undefined {
    return this.models.get(id);
  }

  allModels(): ModelSpec[] {
    return [...this.models.values()];
  }

  /** The model's deployments as configured (priority order). */
  routesOf(modelId: string): RoutedDeployment[] {
    return [...(this.routes.get(modelId) ?? [])].sort((a, b) => a.priority - b.priority);
  }

  /** At least one deployment whose circuit is not OPEN. */
  isAvailable(modelId: string): boolean {
    return this.routesOf(modelId).some((r) => r.deployment.breaker.state !== 'OPEN');
  }

  /**
   * The order one request tries the model's deployments in: ascending priority; within a
   * priority, a weighted random permutation (each pick proportional to weight among the rest).
   */
  attemptOrder(modelId: string): Deployment[] {
    const byPriority = new Map<number, RoutedDeployment[]>();
    for (const r of this.routesOf(modelId)) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
    const order: Deployment[] = [];
    for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
      const pool = [...(byPriority.get(priority) ?? [])];
      while (pool.length > 0) {
        const total = pool.reduce((sum, r) => sum + r.weight, 0);
        let pick = this.random() * total;
        let index = pool.findIndex((r) => (pick -= r.weight) < 0);
        if (index < 0) index = pool.length - 1;
        const [chosen] = pool.splice(index, 1);
        if (chosen) order.push(chosen.deployment);
      }
    }
    return order;
  }

  status(): DeploymentStatus[] {
    return [...this.deployments.values()].map((d) => {
      const state = d.breaker.state;
      return {
        provider: d.provider.id,
        model: d.model,
        deployment: d.id,
        healthy: state === 'CLOSED',
        circuitState: state,
        consecutiveFailures: d.breaker.consecutiveFailures,
        lastErrorAt: d.lastErrorAt,
        lastError: d.lastError,
        firstTokenLatencyP50Ms: d.firstTokenP50Ms,
        firstTokenLatencyLastMs: d.lastFirstTokenMs,
      };
    });
  }
}
