import { Client } from '@elastic/elasticsearch';
import { createElasticsearchIndex, type SearchIndexDefinition } from '../../src/search';
import { analyze } from '../../src/search/analysis';
import { describeSearchContract } from './contract';
import { contractDefinition } from './contractFixtures';

/**
 * Against a real Elasticsearch (`bash scripts/infra/elasticsearch.sh up`; `ES_URL`, default
 * http://127.0.0.1:9250). Run with `pnpm jest -c jest.real.config.js`. Never skipped: without a
 * server every test fails, saying so.
 */
const ES_URL = process.env.ES_URL ?? 'http://127.0.0.1:9250';
const admin = new Client({ node: ES_URL, requestTimeout: 10_000 });

beforeAll(async () => {
  try {
    await admin.cluster.health({ wait_for_status: 'yellow', timeout: '10s' });
  } catch (error) {
    throw new Error(`Elasticsearch is not reachable at ${ES_URL} (start it: bash scripts/infra/elasticsearch.sh up): ${String(error)}`);
  }
});

afterAll(async () => {
  await admin.close();
});

/** Deletes every generation behind the definition's alias (the alias goes with them). */
async function dropIndex(definition: SearchIndexDefinition): Promise<void> {
  const behind = await admin.indices.getAlias({ name: definition.name }, { ignore: [404] });
  for (const concrete of Object.keys(behind).filter((name) => name.startsWith(`${definition.name}-`)))
    await admin.indices.delete({ index: concrete, ignore_unavailable: true });
}

describeSearchContract('elasticsearch', async (definition) => ({
  index: createElasticsearchIndex({ node: ES_URL, index: definition }),
  cleanup: () => dropIndex(definition),
}));

describe('Elasticsearch search index specifics', () => {
  const definition = contractDefinition();
  const index = createElasticsearchIndex({ node: ES_URL, index: definition });

  beforeAll(async () => {
    await index.start();
  });

  afterAll(async () => {
    await index.stop();
    await dropIndex(definition);
  });

  it('analyzes text exactly as the embedded engine does', async () => {
    const samples = [
      "The Don't 3.14 foo_bar 東京タワー e-mail",
      'Ünïcödé WORDS, the stopwords: and, or, not! user@example.com https://x.io/a?b=c',
      'naïve café — ΣΊΣΥΦΟΣ straße 12:30 C++ C# x86_64 ٣٤٥ 한국어 텍스트',
    ];
    for (const text of samples) {
      const { tokens = [] } = await admin.indices.analyze({ index: definition.name, analyzer: 'chatgraph_text', text });
      expect(analyze(text)).toEqual(tokens.map((t) => ({ term: t.token, start: t.start_offset, end: t.end_offset })));
    }
  });

  it('creates generation 1 behind the alias with the mappings, and start() on an existing index is a no-op', async () => {
    const again = createElasticsearchIndex({ node: ES_URL, index: definition });
    await again.start();
    await again.stop();
    const concrete = `${definition.name}-000001`;
    expect(Object.keys(await admin.indices.getAlias({ name: definition.name }))).toEqual([concrete]);
    const mapping = await admin.indices.getMapping({ index: definition.name });
    const properties = mapping[concrete]?.mappings.properties ?? {};
    expect(properties.vector).toMatchObject({ type: 'dense_vector', dims: 3, index: true, similarity: 'cosine' });
    expect(properties.ownerId).toEqual({ type: 'keyword' });
  });
});
