/**
 * What a subgraph's public entry (`src/index.ts`) exports for the launchers
 * (`@chatgraph/launcher`, which lists every subgraph once): its name, port variable, config, files,
 * and how the one-process mode builds it over the shared adapters. Here in the kit so each
 * subgraph states its descriptor against it (`satisfies SubgraphDescriptor<...>`) without
 * depending on the launcher. See docs/adding-a-subgraph.md.
 */
import path from 'node:path';
import type { ConfigSpec } from './config';
import type { Logger } from './logger';
import type { Subgraph } from './subgraph';
import type { DocumentStore } from './store/port';
import type { EventBus } from './events/port';
import type { KvStore } from './kv/port';

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

/** The files a descriptor names, from its `src/` folder (`__dirname` of its index.ts). */
export function subgraphFiles(srcDir: string): { main: string; readme: string } {
  return { main: path.join(srcDir, 'main.ts'), readme: path.join(srcDir, '..', 'README.md') };
}
