/**
 * The launchers: one list of subgraphs (`SUBGRAPHS`) that the one-process mode (`pnpm start`,
 * `startEmbedded`) and the distributed mode (`pnpm start:distributed`, `startDistributed`) both
 * read. See docs/adding-a-subgraph.md.
 */
export { SUBGRAPHS, type ListedSubgraph, type SubgraphName } from './subgraphs';
export { camelCase, defaultPort, type CamelCase, type EmbeddedContext, type EmbeddedSubgraph, type SubgraphDescriptor } from './descriptor';
export { EMBEDDED_CONFIG_SPEC, type EmbeddedConfig } from './embedded/config';
export { startEmbedded, type EmbeddedStack, type EmbeddedSubgraphs, type SharedAdapters } from './embedded/launch';
export { startDistributed, type DistributedOptions, type DistributedStack } from './distributed/launch';
