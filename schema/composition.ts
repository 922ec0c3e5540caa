import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';

export interface ServiceSdl {
  name: string;
  url: string;
  sdl: string;
}

export interface Supergraph {
  /** The supergraph SDL the router executes (join directives and all). */
  supergraphSdl: string;
  /** The public API schema clients see (what codegen types the SDK from). */
  apiSchemaSdl: string;
}

export class CompositionError extends Error {
  constructor(readonly errors: string[]) {
    super(`composition failed:\n  - ${errors.join('\n  - ')}`);
    this.name = 'CompositionError';
  }
}

/** Composes subgraph SDLs with @apollo/composition (Federation 2). Throws CompositionError listing every problem. */
export function composeSupergraph(services: readonly ServiceSdl[]): Supergraph {
  const result = composeServices(services.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  return {
    supergraphSdl: result.supergraphSdl,
    apiSchemaSdl: printSchema(result.schema.toAPISchema().toGraphQLJSSchema()),
  };
}
