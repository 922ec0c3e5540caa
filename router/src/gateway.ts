import { ApolloGateway } from '@apollo/gateway';
import type { Logger } from '@chatgraph/kit';
import type { SubgraphEndpoint } from './config';
import { SigningDataSource } from './dataSource';
import { DocumentCache } from './documents';
import type { OperationLimits } from './limits';
import { subgraphsOfSupergraph } from './readiness';
import type { SubgraphTransport } from './subgraphTransport';
import { supergraphManager, type SupergraphSource } from './supergraphSource';

/** The gateway's executor: plans an operation and runs the plan against the subgraphs. */
export type GatewayExecutor = ApolloGateway['executor'];

/** What the executor receives per request (the fields it reads are listed in pipeline.ts). */
export type GatewayRequestContext = Parameters<GatewayExecutor>[0];

/** Fields of the gateway's request context that neither the executor nor `executeQueryPlan` reads; built once. */
export const UNUSED_CACHE: GatewayRequestContext['cache'] = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => undefined,
};
export const NO_SCHEMA_HASH = '' as GatewayRequestContext['schemaHash'];

/**
 * One loaded supergraph: its API schema and the documents validated against it. A hot reload
 * makes a new generation; a request keeps the generation (and cache) it started with.
 */
export interface SchemaGeneration {
  readonly generation: number;
  readonly documents: DocumentCache;
  /** The supergraph SDL served (subscriptions plan from it: the gateway cannot execute them). */
  readonly supergraphSdl: string;
}

/** What `RouterGateway` needs; nothing is read or fetched until `load()`. */
export interface GatewayOptions {
  supergraph: SupergraphSource;
  signingSecret: string;
  logger: Logger;
  limits: OperationLimits;
  introspection: boolean;
  transport: SubgraphTransport;
}

/**
 * `@apollo/gateway` without Apollo Server: the router loads it, follows its schema updates and
 * calls its executor itself. The gateway plans and executes; everything before (parsing,
 * validation, limits, variables) is the router's own pipeline.
 */
export class RouterGateway {
  readonly gateway: ApolloGateway;
  /** The gateway's logger, handed to the executor with each request. */
  readonly logger: Logger;
  private current: SchemaGeneration | undefined;
  private loadedExecutor: GatewayExecutor | undefined;
  private endpoints: SubgraphEndpoint[] = [];
  private loading: Promise<void> | undefined;
  private readonly generationListeners = new Set<(generation: SchemaGeneration) => void>();

  constructor(private readonly options: GatewayOptions) {
    this.logger = options.logger.child({ component: 'gateway' });
    // The gateway exports usage telemetry to Apollo's cloud unless this variable is set, and it
    // offers no constructor option. ChatGraph sends nothing off the machine it runs on.
    process.env.APOLLO_TELEMETRY_DISABLED = 'true';
    this.gateway = new ApolloGateway({
      supergraphSdl: supergraphManager(options.supergraph, this.logger),
      logger: this.logger,
      buildService: ({ name, url }) => {
        if (!url) throw new Error(`subgraph ${name} has no URL in the supergraph`);
        return new SigningDataSource({
          name,
          url,
          signingSecret: options.signingSecret,
          logger: this.logger,
          transport: options.transport,
        });
      },
    });
    // Called during load() and on every hot reload, after the gateway swapped its planner.
    this.gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
      this.endpoints = subgraphsOfSupergraph(coreSupergraphSdl);
      this.current = {
        generation: (this.current?.generation ?? 0) + 1,
        documents: new DocumentCache(apiSchema, { introspection: this.options.introspection, limits: this.options.limits }),
        supergraphSdl: coreSupergraphSdl,
      };
      for (const listener of this.generationListeners) listener(this.current);
    });
  }

  /** Reads or composes the supergraph; resolves once it is served. Safe to call twice. */
  load(): Promise<void> {
    this.loading ??= this.gateway.load().then(({ executor }) => {
      this.loadedExecutor = executor;
    });
    return this.loading;
  }

  /** The schema generation serving new requests; undefined until loaded. */
  get generation(): SchemaGeneration | undefined {
    return this.current;
  }

  /** Calls `listener` with each new schema generation (the first load and every hot reload). */
  onGeneration(listener: (generation: SchemaGeneration) => void): () => void {
    this.generationListeners.add(listener);
    return () => this.generationListeners.delete(listener);
  }

  /** The executor; undefined until loaded. */
  get executor(): GatewayExecutor | undefined {
    return this.loadedExecutor;
  }

  /** The subgraphs of the supergraph being served; empty until one is loaded. */
  subgraphs(): SubgraphEndpoint[] {
    return this.endpoints;
  }

  /** True once a supergraph has loaded. */
  hasSchema(): boolean {
    return this.current !== undefined;
  }

  /** Stops the supergraph manager (file watcher, timers); waits for a load in progress first. */
  async stop(): Promise<void> {
    if (this.loading) await this.loading.catch(() => undefined);
    await this.gateway.stop();
  }
}
