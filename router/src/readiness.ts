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

/**
 * Names of the subgraphs that are not ready: whose `/readyz` does not answer 200 within
 * `timeoutMs` (down, draining, or a dependency of theirs failing, e.g. a collection that could
 * not open). `/readyz` rather than `/healthz`: a subgraph that is alive but cannot serve must
 * take the router out of rotation too, or it answers errors while reporting ready.
 */
export async function unreadySubgraphs(subgraphs: SubgraphEndpoint[], timeoutMs: number): Promise<string[]> {
  const results = await Promise.all(
    subgraphs.map(async ({ name, url }) => {
      try {
        const res = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(timeoutMs) });
        await res.body?.cancel();
        return res.ok ? undefined : name;
      } catch {
        return name;
      }
    }),
  );
  return results.filter((name): name is string => name !== undefined);
}
