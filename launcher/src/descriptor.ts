import type { ConfigSpec, Logger, Subgraph } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import type { EventBus } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';

/**
 * What the one-process mode hands a subgraph to build itself with: the adapters every service
 * shares (as Kafka and Redis are shared in production) and its own document store. A subgraph's
 * `embedded()` declares the part it needs; TypeScript checks it against this when it is listed.
 */
export interface EmbeddedContext {
  /** The launcher's environment with the embedded adapters chosen and the port variable set to 0. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  bus: EventBus;
  kv: KvStore;
  /** `<DATA_DIR>/<name>`: the service's own folder (its document store, identity's mail outbox). */
  dataDir: string;
  /** Opens the service's embedded document store in `dataDir`; the launcher checks it before anything listens and stops it last. */
  openStore(): Promise<DocumentStore>;
}

/** A subgraph built by `embedded()`: not listening yet. */
export interface EmbeddedSubgraph {
  readonly subgraph: Subgraph;
  /** Listens on `port` (0 picks a free one); resolves to the base URL. */
  start(port?: number): Promise<string>;
  /** Drains; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A subgraph as both launchers see it, exported by the subgraph's public entry
 * (`<name>Subgraph` in `subgraphs/<name>/src/index.ts`) and listed once in `subgraphs.ts`.
 */
export interface SubgraphDescriptor<Name extends string = string, Built extends EmbeddedSubgraph = EmbeddedSubgraph> {
  /** The subgraph's name in the supergraph (`SUBGRAPH_URLS`, `schema/subgraphs.ts`) and its data folder. */
  readonly name: Name;
  /** The variable its `main.ts` reads its port from; the distributed launcher sets it, its default is that mode's port. */
  readonly portVariable: string;
  /** Its configuration, for the generated config tables. */
  readonly configSpec: ConfigSpec;
  /** Absolute path of its `main.ts`, which the distributed launcher runs in a process of its own. */
  readonly main: string;
  /** Absolute path of its README (the config table goes there). */
  readonly readme: string;
  /**
   * Builds it over the shared embedded adapters (the one-process mode). Connects and listens to
   * nothing. A property, not a method, so its parameter is checked strictly: a subgraph may ask
   * for less than the context holds, never for more.
   */
  readonly embedded: (context: EmbeddedContext) => Promise<Built>;
}

/** `ai-gateway` -> `aiGateway`: the property a subgraph has on the embedded stack. */
export type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** The runtime twin of {@link CamelCase}. */
export function camelCase<S extends string>(name: S): CamelCase<S> {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()) as CamelCase<S>;
}

/** The port a subgraph's `main.ts` listens on when its port variable is unset. */
export function defaultPort(descriptor: SubgraphDescriptor): number {
  const value = descriptor.configSpec[descriptor.portVariable]?.default;
  if (typeof value !== 'number') throw new Error(`${descriptor.name}: ${descriptor.portVariable} has no default port in its config spec`);
  return value;
}
