import { codedError, createSubgraph, type Logger, type ReadinessCheck, type RequestContext, type Subgraph } from '@chatgraph/kit';

/**
 * A second test subgraph: it extends `User` with `bio` (so a query spanning both subgraphs goes
 * through `_entities`) and has fields for error masking, request ids and slow in-flight
 * requests. `added` is served from the start but left out of `profilesSdl({ added: false })`, so
 * a hot-reload test can compose a supergraph without it and then one with it.
 */
export function profilesSdl({ added }: { added: boolean }): string {
  return /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type User @key(fields: "id") {
      id: ID!
      "Says which principal resolved it, to prove _entities fetches carry the caller."
      bio: String!
    }
    type Query {
      "Waits until the test releases it."
      slow: String!
      "Throws a raw error carrying internals that must not reach clients."
      boom: String!
      "Throws a coded FORBIDDEN error."
      denied: String!
      "The request id the subgraph received."
      requestId: String!
      "The end client (user agent, address) the subgraph received signed, as JSON."
      client: String!
      ${added ? 'added: String!' : ''}
    }
  `;
}

export interface TestProfiles {
  readonly subgraph: Subgraph;
  readonly url: string;
  readonly graphqlUrl: string;
  /**
   * Holds `slow` queries until released. `entered` resolves when one is waiting, so a test can
   * act while it is in flight without sleeping.
   */
  holdSlow(): { entered: Promise<void>; release(): void };
  stop(): Promise<void>;
}

export async function startTestProfiles(options: {
  signingSecret: string;
  logger: Logger;
  readiness?: ReadinessCheck[];
}): Promise<TestProfiles> {
  let gate: { entered: () => void; released: Promise<void> } | undefined;

  const subgraph = createSubgraph<RequestContext>({
    name: 'profiles',
    typeDefs: profilesSdl({ added: true }),
    logger: options.logger,
    signingSecret: options.signingSecret,
    context: (base) => base,
    readiness: options.readiness,
    resolvers: {
      Query: {
        slow: async () => {
          const current = gate;
          if (current) {
            current.entered();
            await current.released;
          }
          return 'slow done';
        },
        boom: () => {
          throw new Error('connect ECONNREFUSED mongodb://db-secret-host:27017 (profiles.store)');
        },
        denied: () => {
          throw codedError('FORBIDDEN', 'Not your profile');
        },
        requestId: (_p: unknown, _a: unknown, ctx: RequestContext) => ctx.requestId,
        client: (_p: unknown, _a: unknown, ctx: RequestContext) => JSON.stringify(ctx.client),
        added: () => 'added field',
      },
      User: {
        __resolveReference: (ref: { id: string }, ctx: RequestContext) => ({
          id: ref.id,
          bio: `bio of ${ref.id} read by ${ctx.principal.kind === 'user' ? ctx.principal.userId : ctx.principal.kind}`,
        }),
      },
    },
  });
  const url = await subgraph.start();
  return {
    subgraph,
    url,
    graphqlUrl: `${url}/graphql`,
    holdSlow() {
      let entered!: () => void;
      let release!: () => void;
      const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      gate = { entered, released };
      return {
        entered: enteredPromise,
        release: () => {
          gate = undefined;
          release();
        },
      };
    },
    stop: () => subgraph.stop(),
  };
}
