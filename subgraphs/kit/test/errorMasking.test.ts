import { GraphQLError } from 'graphql';
import { codedError, formatError, maskFormattedError } from '../src';
import { DuplicateKeyError } from '../src/store/errors';

/** The one masking rule of every GraphQL boundary (subgraphs' `formatError`, the router's). */
describe('maskFormattedError', () => {
  it("keeps a coded error's message and client-safe extensions, dropping internals", () => {
    const masked = maskFormattedError({
      message: 'Too many requests',
      path: ['sendMessage'],
      extensions: {
        code: 'RATE_LIMITED',
        retryAfterSeconds: 3,
        stacktrace: ['at x'],
        exception: {},
        serviceName: 'conversation',
        response: { body: 'raw' },
        http: { status: 500 },
      },
    });
    expect(masked).toEqual({
      message: 'Too many requests',
      path: ['sendMessage'],
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 3 },
    });
  });

  it("reports Apollo's client-error codes as BAD_USER_INPUT and anything else as a bare INTERNAL", () => {
    expect(maskFormattedError({ message: 'Syntax Error', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }).extensions).toEqual({
      code: 'BAD_USER_INPUT',
    });
    expect(maskFormattedError({ message: 'ECONNREFUSED 10.0.0.7:27017', extensions: { code: 'SOMETHING', detail: 'secret' } })).toEqual({
      message: 'Internal error',
      extensions: { code: 'INTERNAL' },
    });
    expect(maskFormattedError({ message: 'boom', extensions: { code: 'INTERNAL', stacktrace: ['at x'] } })).toEqual({
      message: 'Internal error',
      extensions: { code: 'INTERNAL' },
    });
  });

  it("is what a subgraph's formatError applies once store errors are mapped", () => {
    const coded = codedError('NOT_FOUND', 'No such conversation', { field: 'id' });
    const formatted = { ...coded.toJSON(), extensions: { ...coded.extensions, serviceName: 'x' } };
    expect(formatError(formatted, coded)).toEqual(maskFormattedError(formatted));
    expect(formatError({ message: 'dup' }, new DuplicateKeyError('users', 'email_1', ['email']))).toEqual({
      message: 'Already exists',
      extensions: { code: 'CONFLICT', fields: ['email'] },
    });
    expect(formatError(new GraphQLError('driver text').toJSON(), new Error('driver text'))).toEqual({
      message: 'Internal error',
      extensions: { code: 'INTERNAL' },
    });
  });
});
