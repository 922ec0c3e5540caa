import type { TopicContract } from './contract';
import { validateEnvelope, type EventEnvelope } from './envelope';
import { aiCatalogV1 } from './topics/aiCatalog';
import { aiGenerationV1 } from './topics/aiGeneration';
import { assistantAssistantV1 } from './topics/assistant';
import { conversationConversationV1, conversationMessageV1, conversationShareV1 } from './topics/conversation';
import { fileFileV1 } from './topics/file';
import { identitySessionV1 } from './topics/identitySession';
import { identityUserV1 } from './topics/identityUser';
import { rateLimitBalanceV1 } from './topics/rateLimitBalance';
import { streamingStreamV1 } from './topics/streamingStream';

/**
 * Every topic contract, by topic name. Producers and consumers look contracts up here; a topic
 * missing from the registry has only its envelope checked.
 */
export const eventTopics: ReadonlyMap<string, TopicContract> = new Map<string, TopicContract>(
  [
    identityUserV1,
    identitySessionV1,
    conversationConversationV1,
    conversationMessageV1,
    conversationShareV1,
    aiGenerationV1,
    aiCatalogV1,
    rateLimitBalanceV1,
    fileFileV1,
    assistantAssistantV1,
    streamingStreamV1,
  ].map((contract) => [contract.topic, contract as unknown as TopicContract]),
);

/** The contract of `topic`, if one is registered. */
export function topicContract(topic: string): TopicContract | undefined {
  return eventTopics.get(topic);
}

/**
 * Checks an event against its topic's contract when the topic is registered, otherwise only its
 * envelope. Throws `EventValidationError`.
 */
export function validateEvent(topic: string, value: unknown): EventEnvelope {
  const contract = eventTopics.get(topic);
  return contract ? contract.validate(value) : validateEnvelope(value);
}
