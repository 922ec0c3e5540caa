import { aiGatewaySubgraph } from '@chatgraph/ai-gateway';
import { assistantSubgraph } from '@chatgraph/assistant';
import { conversationSubgraph } from '@chatgraph/conversation';
import { fileSubgraph } from '@chatgraph/file';
import { identitySubgraph } from '@chatgraph/identity';
import { notificationSubgraph } from '@chatgraph/notification';
import { rateLimitSubgraph } from '@chatgraph/rate-limit';
import { searchSubgraph } from '@chatgraph/search';
import { streamingSubgraph } from '@chatgraph/streaming';
import type { SubgraphDescriptor } from './descriptor';

/**
 * Every subgraph both launchers run, in start order (stopped in reverse): adding a subgraph is one
 * entry here (plus its package with a `<name>Subgraph` descriptor, and its line in
 * `schema/subgraphs.ts` for composition — a test checks the two lists agree). The embedded stack
 * gets a typed property per entry, the distributed launcher a port and a process, the config
 * docs a table. See docs/adding-a-subgraph.md.
 */
export const SUBGRAPHS = [
  identitySubgraph,
  conversationSubgraph,
  aiGatewaySubgraph,
  streamingSubgraph,
  rateLimitSubgraph,
  searchSubgraph,
  notificationSubgraph,
  assistantSubgraph,
  fileSubgraph,
] as const satisfies readonly SubgraphDescriptor[];

/** One listed subgraph's descriptor. */
export type ListedSubgraph = (typeof SUBGRAPHS)[number];

/** The name of a listed subgraph (`identity`, `ai-gateway`, ...). */
export type SubgraphName = ListedSubgraph['name'];
