import { formatError } from '@chatgraph/kit';
import type { GraphQLFormattedError } from 'graphql';
import { formatRouterError } from '../src/errorMasking';

/**
 * The router masks with the kit's rule (one rule, not two copies): for every error but the
 * persisted-query protocol codes, it gives what a subgraph's boundary gives.
 */
describe('router error masking', () => {
  const samples: GraphQLFormattedError[] = [
    {
      message: 'Not allowed',
      path: ['users'],
      extensions: { code: 'FORBIDDEN', requiredScope: 'write', serviceName: 'identity', stacktrace: ['at x'] },
    },
    { message: 'Invalid input', extensions: { code: 'BAD_USER_INPUT', field: 'email', http: { status: 400 }, response: { body: '{}' } } },
    { message: 'Cannot query field "x"', locations: [{ line: 1, column: 3 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
    { message: 'connect ECONNREFUSED', extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'identity' } },
    { message: 'no code at all' },
  ];

  it("agrees with the kit's formatError on every coded and uncoded error", () => {
    for (const formatted of samples) expect(formatRouterError(formatted)).toEqual(formatError(formatted, new Error(formatted.message)));
  });

  it('passes the persisted-query protocol codes as they are (clients resend the query on them)', () => {
    expect(formatRouterError({ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } })).toEqual({
      message: 'PersistedQueryNotFound',
      extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' },
    });
  });
});
