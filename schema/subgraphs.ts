/**
 * The subgraphs that make up the supergraph: one line per service, read by composition, the
 * embedded launcher and codegen. `url` is the address services have in the distributed
 * deployment (docker-compose / Kubernetes service names); embedded mode uses its own ports.
 */
export interface SubgraphEntry {
  name: string;
  /** Default port in distributed mode. */
  port: number;
  /** SDL path relative to the repository root. */
  sdl: string;
  url: string;
}

const entry = (name: string, port: number): SubgraphEntry => ({
  name,
  port,
  sdl: `subgraphs/${name}/src/schema.graphql`,
  url: `http://${name}:${port}/graphql`,
});

export const SUBGRAPHS: readonly SubgraphEntry[] = [
  entry('identity', 4001),
  entry('conversation', 4002),
  entry('ai-gateway', 4006),
  entry('streaming', 4007),
  entry('rate-limit', 4009),
  entry('search', 4005),
  entry('notification', 4008),
  entry('assistant', 4003),
  entry('file', 4004),
];
