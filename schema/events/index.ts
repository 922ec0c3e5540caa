/** Versioned event contracts shared by producers and consumers (see docs/architecture.md, "Events"). */
/** The helpers contracts are written with (zod schemas, `check`, `text`, `count`, ...). */
export * as v from './validation';
export { EventValidationError, type Infer, type Schema } from './validation';
export * from './envelope';
export * from './contract';
export * from './registry';
export * from './topics/identityUser';
export * from './topics/identitySession';
export * from './topics/conversation';
export * from './topics/aiGeneration';
export * from './topics/aiCatalog';
export * from './topics/rateLimitBalance';
export * from './topics/file';
export * from './topics/assistant';
export * from './topics/streamingStream';
export * from './tokenStreams';
