/** Versioned event contracts shared by producers and consumers (see docs/architecture.md, "Events"). */
/** The validator builders (`v.object`, `v.string`, ...) for writing contracts. */
export * as v from './validation';
export { EventValidationError, type Infer, type InferShape, type OptionalValidator, type StringRules, type Validator } from './validation';
export * from './envelope';
export * from './contract';
export * from './registry';
export * from './topics/identityUser';
export * from './topics/conversation';
export * from './topics/aiGeneration';
export * from './topics/aiCatalog';
export * from './topics/rateLimitBalance';
export * from './tokenStreams';
