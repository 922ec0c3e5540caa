import { buildSchema, getIntrospectionQuery, getVariableValues, parse, type OperationDefinitionNode } from 'graphql';
import { compileCost, DEFAULT_LIST_SIZE, DEFAULT_PAGE_SIZE, evaluateCost } from '../src';

const schema = buildSchema(/* GraphQL */ `
  type User {
    id: ID!
    name: String!
    friends(first: Int): [User!]!
    posts(limit: Int): [Post!]!
    tags: [String!]!
  }
  type Post {
    id: ID!
    comments: [String!]!
  }
  type UserEdge {
    node: User!
  }
  type UserConnection {
    edges: [UserEdge!]!
    total: Int!
  }
  type Query {
    me: User
    users(first: Int, after: String, last: Int, before: String): UserConnection!
    everyone: [User!]!
  }
`);

/** The cost of the document's only operation, with these variables coerced as the router does. */
function costOf(source: string, variables: Record<string, unknown> = {}): number {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  if (!operation) throw new Error('no operation');
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw new Error(coerced.errors[0]?.message);
  return evaluateCost(compileCost(schema, document, operation), coerced.coerced);
}

describe('operation cost', () => {
  it('counts each field once', () => {
    expect(costOf('{ me { id name } }')).toBe(3);
    expect(costOf('{ __typename me { id } }')).toBe(3);
  });

  it('multiplies a list field by its first/last/limit argument, and by the default without one', () => {
    expect(costOf('{ me { friends(first: 5) { id name } } }')).toBe(1 + 1 + 5 * 2);
    expect(costOf('{ me { posts(limit: 3) { id } } }')).toBe(1 + 1 + 3 * 1);
    expect(costOf('{ everyone { id } }')).toBe(1 + DEFAULT_LIST_SIZE * 1);
    // A field that takes a page size but gets none returns the subgraph's default page.
    expect(costOf('{ me { posts { id } } }')).toBe(1 + 1 + DEFAULT_PAGE_SIZE * 1);
    // A list of scalars costs 1: there is nothing below it to multiply.
    expect(costOf('{ me { tags } }')).toBe(2);
  });

  it('multiplies nested lists', () => {
    expect(costOf('{ everyone { friends(first: 2) { posts(limit: 10) { comments } } } }')).toBe(1 + 10 * (1 + 2 * (1 + 10 * 1)));
  });

  it('counts a paginated connection by its page size, not again by the lists inside it', () => {
    expect(costOf('{ users(first: 50) { total edges { node { id } } } }')).toBe(1 + 50 * (1 + 1 + 1 * (1 + 1)));
    expect(costOf('{ users(last: 20) { total edges { node { id } } } }')).toBe(1 + 20 * (1 + 1 + 1 * (1 + 1)));
    // Without a page size the connection counts the default page, which is what it returns.
    expect(costOf('{ users { edges { node { id } } } }')).toBe(1 + DEFAULT_PAGE_SIZE * (1 + 1 * (1 + 1)));
  });

  it('counts a page by the size given in either first or last, whichever variable is set', () => {
    const source = 'query($first: Int, $last: Int) { users(first: $first, last: $last) { edges { node { id } } } }';
    expect(costOf(source, { last: 200 })).toBe(1 + 200 * 3);
    expect(costOf(source, { first: null, last: 100 })).toBe(1 + 100 * 3);
    expect(costOf(source, { first: 5 })).toBe(1 + 5 * 3);
    expect(costOf(source)).toBe(1 + DEFAULT_PAGE_SIZE * 3);
  });

  it('reads page sizes from variables, with their defaults, and the default page size when null', () => {
    const source = 'query($n: Int, $m: Int = 4) { me { friends(first: $n) { posts(limit: $m) { id } } } }';
    expect(costOf(source, { n: 3 })).toBe(2 + 3 * (1 + 4 * 1));
    expect(costOf(source, { n: 3, m: 1 })).toBe(2 + 3 * (1 + 1));
    expect(costOf(source, { n: null })).toBe(2 + DEFAULT_PAGE_SIZE * (1 + 4));
    expect(costOf(source)).toBe(2 + DEFAULT_PAGE_SIZE * (1 + 4));
  });

  it('follows fragments and inline fragments, each spread counting as executed', () => {
    const source = `
      query { me { ...F ... on User { friends(first: 2) { ...F } } } }
      fragment F on User { id name }
    `;
    expect(costOf(source)).toBe(1 + 2 + 1 + 2 * 2);
  });

  it('compiles exponential fragment spreads in linear time and reports their expanded cost', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { me { id } }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    expect(costOf(`query { ...F0 } ${fragments.join('\n')}`)).toBe(2 ** (levels - 1) * 2);
  });

  it('terminates on fragment cycles (which validation would reject anyway)', () => {
    expect(costOf('query { me { ...A } } fragment A on User { friends(first: 2) { ...A } }')).toBe(1 + 1 + 2 * 0);
  });

  it('costs an introspection root 1, so the standard introspection query is cheap', () => {
    expect(costOf(getIntrospectionQuery())).toBe(1);
  });
});
