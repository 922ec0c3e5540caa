/**
 * The root entry, `@chatgraph/kit`: the core (see core.ts). Each port has its own sub-path entry
 * (`@chatgraph/kit/store`, `/events`, `/kv`, `/limits`, `/search`, `/blob`, `/mail`).
 */
export * from './core';
