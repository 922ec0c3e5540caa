import { buildOperationContext, type GraphQLDataSource } from '@apollo/gateway';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type QueryPlan } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import type { PreparedDocument, PreparedOperation } from '../documents';
import { LruCache } from '../lru';

/** The name the primary fetch is renamed to: its "service" is the event just received. */
export const EVENT_SERVICE = '__subscription_event__';

/** One subscription operation, planned once per schema generation. */
export interface SubscriptionPlan {
  /** The fetch subscribing to the owning subgraph (its `operation` is what the subgraph receives). */
  readonly primary: FetchNode;
  /** The owning subgraph's GraphQL URL. */
  readonly subgraphUrl: string;
  /**
   * The primary fetch (served by the event) followed by the rest of the plan (`_entities`
   * fetches): executed per event by `executeQueryPlan`, it merges and shapes the result as for a query.
   */
  readonly perEvent: QueryPlan;
  /** Whether per-event execution fetches from other subgraphs (so merges into the event's data). */
  readonly hydrates: boolean;
  readonly operationContext: ReturnType<typeof buildOperationContext>;
  /** The primary operation without its generated name: the dedup key's operation part. */
  readonly upstreamKey: string;
}

/** How the planner gets the router's signing data source of a subgraph. */
export type DataSourceFactory = (name: string, url: string) => GraphQLDataSource;

/**
 * The federation query planner over one supergraph, for subscriptions: `@apollo/gateway` plans
 * them but refuses to execute them. Built lazily, on the first subscription of a schema
 * generation, from the same supergraph SDL the gateway serves; plans are cached by query hash.
 */
export class SubscriptionPlanner {
  readonly apiSchema: Schema;
  readonly supergraphSchema: GraphQLSchema;
  /** The router's signing data source of every subgraph, by name. */
  readonly dataSources: Readonly<Record<string, GraphQLDataSource>>;
  private readonly planner: QueryPlanner;
  private readonly urls = new Map<string, string>();
  private readonly plans = new LruCache<string, SubscriptionPlan>(500);

  constructor(supergraphSdl: string, dataSource: DataSourceFactory) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiSchema = supergraph.apiSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
    const dataSources: Record<string, GraphQLDataSource> = Object.create(null) as Record<string, GraphQLDataSource>;
    for (const { name, url } of supergraph.subgraphsMetadata()) {
      this.urls.set(name, url);
      dataSources[name] = dataSource(name, url);
    }
    this.dataSources = dataSources;
  }

  /** The plan of a validated subscription operation; throws when the planner cannot plan it. */
  plan(schema: GraphQLSchema, prepared: PreparedDocument, operation: PreparedOperation): SubscriptionPlan {
    const key = `${prepared.queryHash}:${operation.name ?? ''}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    if (!prepared.document) throw new Error('planning an invalid document');
    const operationName = operation.name ?? undefined;
    const built = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, prepared.document, { operationName }));
    const node = built.node;
    if (node?.kind !== 'Subscription') throw new Error(`expected a subscription plan, got ${node?.kind ?? 'an empty plan'}`);
    const { primary, rest } = node;
    const subgraphUrl = this.urls.get(primary.serviceName);
    if (!subgraphUrl) throw new Error(`subgraph ${primary.serviceName} has no URL in the supergraph`);
    const eventFetch: FetchNode = { ...primary, serviceName: EVENT_SERVICE };
    const plan: SubscriptionPlan = {
      primary,
      subgraphUrl,
      perEvent: { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [eventFetch, rest] } : eventFetch },
      hydrates: rest !== undefined,
      operationContext: buildOperationContext({ schema, operationDocument: prepared.document, operationName }),
      // The planner names the fetch after the client's operation; two clients' identical
      // subscriptions under different names are still one upstream subscription.
      upstreamKey: primary.operation.replace(/^subscription\s+[_A-Za-z][_0-9A-Za-z]*/, 'subscription'),
    };
    this.plans.set(key, plan);
    return plan;
  }
}
