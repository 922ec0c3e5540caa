/**
 * The root entry, `@chatgraph/kit`: the core (see core.ts).
 *
 * TRANSITIONAL: it also re-exports every port so that imports written before the sub-path
 * entries keep working until `scripts/codemods/kit-subpaths.ts` has been run over the whole tree;
 * then the port re-exports below are removed and importing a port from the root fails to compile.
 */
export * from './core';
export * from './store';
export * from './events';
export * from './kv';
export * from './limits';
export * from './search';
export * from './blob';
export * from './mail';
