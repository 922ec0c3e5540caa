/**
 * conversation's public entry: what launchers, benchmarks and end-to-end tests may use. Anything
 * else under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import { subgraphFiles, type SubgraphDescriptor } from '@chatgraph/kit';
import { conversationConfigSpec, loadConversationConfig } from './config';
import { buildConversation, type Conversation } from './server';

export { conversationConfigSpec, loadConversationConfig, type ConversationConfig } from './config';
export { buildConversation, CONVERSATION_SCHEMA_PATH, type Conversation, type ConversationDeps } from './server';
// The stored shapes and their collections: benchmarks seed and read stored state through them.
export { conversationCollections, type ConversationCollections, type ConversationDoc, type MessageDoc } from './store';
export { creditBalancesSpec, type CreditBalanceDoc } from './creditBalances';
export { ConversationReads } from './reads';
export { generationResultHandler, subscribeGenerationResults } from './events';

/**
 * conversation as the launchers run it (`@chatgraph/launcher` lists it): its port variable,
 * config spec and README for the docs, its `main.ts` for the distributed mode, and how the
 * one-process mode builds it over the shared adapters.
 */
export const conversationSubgraph = {
  name: 'conversation' as const,
  portVariable: 'CONVERSATION_PORT',
  configSpec: conversationConfigSpec,
  ...subgraphFiles(__dirname),
  embedded: async (context): Promise<Conversation> => {
    const config = loadConversationConfig(context.env);
    return buildConversation({ store: await context.openStore(), bus: context.bus, kv: context.kv, config, logger: context.logger });
  },
} satisfies SubgraphDescriptor<'conversation', Conversation>;
