import { Kind, parse, type ConstDirectiveNode } from 'graphql';
import type { SubgraphEndpoint } from './config';

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const arg = directive.arguments?.find((a) => a.name.value === name);
  return arg?.value.kind === Kind.STRING ? arg.value.value : undefined;
}

/** The subgraphs a supergraph routes to, read from its `join__Graph` enum. */
export function subgraphsOfSupergraph(supergraphSdl: string): SubgraphEndpoint[] {
  const endpoints: SubgraphEndpoint[] = [];
  for (const definition of parse(supergraphSdl, { noLocation: true }).definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const directive = value.directives?.find((d) => d.name.value === 'join__graph');
      const name = directive && stringArgument(directive, 'name');
      const url = directive && stringArgument(directive, 'url');
      if (name && url) endpoints.push({ name, url });
    }
  }
  return endpoints;
}

/** Names of the subgraphs whose `/healthz` does not answer 200 within `timeoutMs`. */
export async function unhealthySubgraphs(subgraphs: SubgraphEndpoint[], timeoutMs: number): Promise<string[]> {
  const results = await Promise.all(
    subgraphs.map(async ({ name, url }) => {
      try {
        const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(timeoutMs) });
        await res.body?.cancel();
        return res.ok ? undefined : name;
      } catch {
        return name;
      }
    }),
  );
  return results.filter((name): name is string => name !== undefined);
}
