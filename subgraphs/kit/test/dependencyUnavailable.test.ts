import { GraphQLError } from 'graphql';
import { BlobStoreUnavailableError } from '../src/blob/errors';
import { DependencyUnavailableError, isDependencyUnavailable } from '../src/dependencyUnavailable';
import { formatError } from '../src/errorMasking';
import { EventBusUnavailableError } from '../src/events/port';
import { KvUnavailableError } from '../src/kv/errors';
import { SearchUnavailableError } from '../src/search/errors';
import { CollectionUnavailableError } from '../src/store/lifecycle';
import { DocumentStoreUnavailableError } from '../src/store/unavailable';

/**
 * Every port's "dependency unavailable" error shares one base, so the GraphQL boundary and the
 * event consumers treat them alike by testing that base: clients still see `UNAVAILABLE` with the
 * same message, and a port added later is covered by extending it.
 */

/** What a client receives when a resolver throws `error`. */
function clientView(error: unknown): { message: string; code: unknown } {
  const graphqlError = new GraphQLError('resolver failed', { originalError: error instanceof Error ? error : undefined, path: ['x'] });
  const formatted = formatError(graphqlError.toJSON(), graphqlError);
  return { message: formatted.message, code: formatted.extensions?.code };
}

const portErrors: Array<[string, Error]> = [
  ['DocumentStoreUnavailableError', new DocumentStoreUnavailableError('mongo down')],
  ['CollectionUnavailableError', new CollectionUnavailableError('embedded store', 'people', new Error('unreadable'))],
  ['EventBusUnavailableError', new EventBusUnavailableError('Kafka down')],
  ['KvUnavailableError', new KvUnavailableError('Redis down')],
  ['SearchUnavailableError', new SearchUnavailableError('Elasticsearch down')],
  ['BlobStoreUnavailableError', new BlobStoreUnavailableError('GridFS down')],
];

describe('DependencyUnavailableError', () => {
  it.each(portErrors)('%s extends the common base and keeps its own name', (name, error) => {
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error.name).toBe(name);
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it.each(portErrors)('%s still reaches clients as UNAVAILABLE with the same message', (_name, error) => {
    expect(clientView(error)).toEqual({ message: 'A dependency is unavailable, try again', code: 'UNAVAILABLE' });
  });

  it('covers a port added later by extension alone, at the boundary and for consumers', () => {
    class MailUnavailableError extends DependencyUnavailableError {}
    const error = new MailUnavailableError('SMTP down');
    expect(clientView(error).code).toBe('UNAVAILABLE');
    expect(isDependencyUnavailable(new Error('could not send', { cause: error }))).toBe(true);
  });

  it('does not claim other errors', () => {
    expect(isDependencyUnavailable(new Error('bad'))).toBe(false);
    expect(isDependencyUnavailable('down')).toBe(false);
    expect(clientView(new Error('driver detail')).code).toBe('INTERNAL');
  });
});
