import { createServer } from 'node:net';
import { createElasticsearchIndex, SearchUnavailableError } from '../../src/search';
import { contractDefinition } from './contractFixtures';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('Elasticsearch adapter without a cluster', () => {
  it('reports an unreachable cluster as SearchUnavailableError, naming the operation', async () => {
    const index = createElasticsearchIndex({ node: `http://127.0.0.1:${await closedPort()}`, index: contractDefinition(), maxRetries: 0 });
    const error = await index.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchUnavailableError);
    expect((error as Error).message).toMatch(/unreachable during start/);
    await index.stop();
  });

  it('refuses to work before start()', async () => {
    const index = createElasticsearchIndex({ node: 'http://127.0.0.1:9', index: contractDefinition() });
    await expect(index.search({ ownerId: 'o', mode: 'keyword', text: 'x', size: 1 })).rejects.toBeInstanceOf(SearchUnavailableError);
    await index.stop();
  });
});
