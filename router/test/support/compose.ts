import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

export interface TestService {
  name: string;
  /** The subgraph's GraphQL endpoint. */
  url: string;
  typeDefs: string;
}

/** Composes subgraph SDLs into a supergraph with @apollo/composition, as `schema/compose.ts` does. */
export function composeTestSupergraph(services: TestService[]): string {
  const result = composeServices(services.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })));
  if (result.errors) throw new Error(`composition failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl;
}
