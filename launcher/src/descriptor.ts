import type { SubgraphDescriptor } from '@chatgraph/kit';

export type { EmbeddedContext, EmbeddedSubgraph, SubgraphDescriptor } from '@chatgraph/kit';

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
