import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import type { Logger, ServiceMetrics } from '@chatgraph/kit';
import type { SubgraphEndpoint } from './config';
import type { RouterContext } from './context';
import { SigningDataSource } from './dataSource';
import { errorReportingPlugin, formatRouterError } from './errorMasking';
import { routerMetricsPlugin } from './metrics';
import { operationLimitsPlugin, type OperationLimits } from './limits';
import { subgraphsOfSupergraph } from './readiness';
import { apiKeyScopePlugin } from './scopes';
import type { SubgraphTransport } from './subgraphTransport';
import { supergraphManager, type SupergraphSource } from './supergraphSource';

export interface GatewayOptions {
  supergraph: SupergraphSource;
  signingSecret: string;
  logger: Logger;
  limits: OperationLimits;
  introspection: boolean;
  metrics: ServiceMetrics;
  transport: SubgraphTransport;
}

/** Apollo Server executing through `@apollo/gateway`, plus what readiness needs to know. */
export interface RouterGateway {
  readonly gateway: ApolloGateway;
  readonly apollo: ApolloServer<RouterContext>;
  /** The subgraphs of the supergraph being served; empty until one is loaded. */
  subgraphs(): SubgraphEndpoint[];
  /** True once a supergraph has loaded. */
  hasSchema(): boolean;
}

/** Builds the gateway and its Apollo Server; nothing is fetched or read until `apollo.start()`. */
export function createGateway(options: GatewayOptions): RouterGateway {
  const { logger } = options;
  const gatewayLogger = logger.child({ component: 'gateway' });
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphManager(options.supergraph, gatewayLogger),
    logger: gatewayLogger,
    buildService: ({ name, url }) => {
      if (!url) throw new Error(`subgraph ${name} has no URL in the supergraph`);
      return new SigningDataSource({ name, url, signingSecret: options.signingSecret, logger: gatewayLogger, transport: options.transport });
    },
  });

  let subgraphs: SubgraphEndpoint[] = [];
  let loaded = false;
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    subgraphs = subgraphsOfSupergraph(coreSupergraphSdl);
    loaded = true;
  });

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    formatError: formatRouterError,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    introspection: options.introspection,
    // Without introspection, "did you mean" hints would leak the schema piecemeal.
    hideSchemaDetailsFromClientErrors: !options.introspection,
    logger: logger.child({ component: 'apollo' }),
    plugins: [
      // Apollo's landing page loads from a CDN: the router serves its own offline page instead.
      ApolloServerPluginLandingPageDisabled(),
      // Nothing leaves for Apollo's cloud, even if an APOLLO_KEY happens to be set.
      ApolloServerPluginUsageReportingDisabled(),
      routerMetricsPlugin(options.metrics),
      errorReportingPlugin(),
      operationLimitsPlugin(options.limits),
      apiKeyScopePlugin(),
    ],
  });

  return {
    gateway,
    apollo,
    subgraphs: () => subgraphs,
    hasSchema: () => loaded,
  };
}
