/**
 * An index per document kind on a real Elasticsearch (`ES_URL`, default http://127.0.0.1:9250;
 * run with `pnpm jest -c jest.real.config.js`): the whole port contract with `kinds` declared,
 * each kind's documents in its own index behind its own alias, and the one-time split of an index
 * written before kinds were split. Indexes have unique names, dropped afterwards.
 */
import { Client } from '@elastic/elasticsearch';
import { createElasticsearchIndex, dropElasticsearchIndex, SearchRequestError, type SearchIndexDefinition } from '../../src/search';
import { describeSearchContract } from './contract';
import { contractDefinition, doc, hitIds, newOwner, put, request } from './contractFixtures';

const ES_URL = process.env.ES_URL ?? 'http://127.0.0.1:9250';
const KINDS = ['message', 'conversation', 'file'];
const admin = new Client({ node: ES_URL, requestTimeout: 10_000 });

afterAll(async () => {
  await admin.close();
});

describeSearchContract('elasticsearch, an index per kind', async (definition) => ({
  index: createElasticsearchIndex({ node: ES_URL, index: { ...definition, kinds: KINDS } }),
  cleanup: () => dropElasticsearchIndex(ES_URL, definition.name),
}));

/** The kinds of the documents in the one concrete index behind `alias`. */
async function kindsBehind(alias: string): Promise<Record<string, number>> {
  const concrete = Object.keys(await admin.indices.getAlias({ name: alias }));
  expect(concrete).toEqual([`${alias}-000001`]);
  await admin.indices.refresh({ index: concrete[0] ?? '' });
  const found = await admin.search({ index: concrete[0], size: 0, aggs: { kinds: { terms: { field: 'kind' } } } });
  const buckets = (found.aggregations?.kinds as { buckets: Array<{ key: string; doc_count: number }> }).buckets;
  return Object.fromEntries(buckets.map((bucket) => [bucket.key, bucket.doc_count]));
}

describe('Elasticsearch index per kind', () => {
  const definition: SearchIndexDefinition = contractDefinition({ kinds: KINDS });
  const index = createElasticsearchIndex({ node: ES_URL, index: definition });

  beforeAll(async () => {
    await index.start();
  });

  afterAll(async () => {
    await index.stop();
    await dropElasticsearchIndex(ES_URL, definition.name);
  });

  it('keeps each kind’s documents in its own index, and searches all of them in one request', async () => {
    const owner = newOwner();
    await put(index, [
      doc({ id: 'm1', ownerId: owner, kind: 'message', body: 'kestrel hovering' }),
      doc({ id: 'm2', ownerId: owner, kind: 'message', body: 'kestrel again' }),
      doc({ id: 'c1', ownerId: owner, kind: 'conversation', title: 'kestrel chat' }),
      doc({ id: 'f1', ownerId: owner, kind: 'file', body: 'kestrel notes' }),
    ]);

    expect(await kindsBehind(`${definition.name}-message`)).toEqual({ message: 2 });
    expect(await kindsBehind(`${definition.name}-conversation`)).toEqual({ conversation: 1 });
    expect(await kindsBehind(`${definition.name}-file`)).toEqual({ file: 1 });
    expect(await admin.indices.exists({ index: definition.name })).toBe(false);
    expect(hitIds(await index.search(request(owner, 'keyword', { text: 'kestrel' }))).sort()).toEqual(['c1', 'f1', 'm1', 'm2']);
    expect(
      hitIds(await index.search(request(owner, 'keyword', { text: 'kestrel', filters: { kinds: ['file', 'conversation'] } }))).sort(),
    ).toEqual(['c1', 'f1']);
  });

  it('moves a document whose kind changed to its new kind’s index, and refuses a kind the index does not declare', async () => {
    const owner = newOwner();
    await put(index, [doc({ id: 'moving', ownerId: owner, kind: 'message', body: 'merlin' })]);
    await put(index, [doc({ id: 'moving', ownerId: owner, kind: 'file', body: 'merlin' })]);
    const count = async (kind: string) =>
      (await admin.count({ index: `${definition.name}-${kind}`, query: { ids: { values: ['moving'] } } })).count;
    expect([await count('message'), await count('file')]).toEqual([0, 1]);

    await expect(put(index, [doc({ id: 'odd', ownerId: owner, kind: 'memo', body: 'merlin' })])).rejects.toThrow(SearchRequestError);
    expect(await index.get(owner, ['odd'])).toEqual([]);
  });
});

it('splits an index written before kinds were split into one per kind at start, once', async () => {
  const name = `kinds-split-${Date.now().toString(36)}`;
  const single = createElasticsearchIndex({ node: ES_URL, index: contractDefinition({ name }) });
  const owner = newOwner();
  await single.start();
  await put(single, [
    doc({ id: 's-m', ownerId: owner, kind: 'message', body: 'shrike perched', vector: [1, 0, 0] }),
    doc({ id: 's-c', ownerId: owner, kind: 'conversation', title: 'shrike', vector: [0, 1, 0] }),
    doc({ id: 's-f', ownerId: owner, kind: 'file', body: 'shrike sketch', vector: [0, 0, 1] }),
    doc({ id: 's-x', ownerId: owner, kind: 'memo', body: 'shrike memo' }),
  ]);
  await single.stop();

  const split = createElasticsearchIndex({ node: ES_URL, index: contractDefinition({ name, kinds: KINDS }) });
  try {
    await split.start();
    expect(await admin.indices.exists({ index: `${name}-000001` })).toBe(false);
    expect(await admin.indices.existsAlias({ name })).toBe(false);
    expect(await kindsBehind(`${name}-message`)).toEqual({ message: 1 });
    expect(await kindsBehind(`${name}-conversation`)).toEqual({ conversation: 1 });
    expect(await kindsBehind(`${name}-file`)).toEqual({ file: 1 });
    expect(hitIds(await split.search(request(owner, 'keyword', { text: 'shrike' }))).sort()).toEqual(['s-c', 's-f', 's-m']);
    // Vectors came along.
    expect(hitIds(await split.search(request(owner, 'semantic', { vector: [0, 0, 1], size: 1 })))).toEqual(['s-f']);
    await split.stop();

    // A later start finds nothing to split and keeps what is there.
    const again = createElasticsearchIndex({ node: ES_URL, index: contractDefinition({ name, kinds: KINDS }) });
    await again.start();
    await again.upsert([doc({ id: 's-m2', ownerId: owner, kind: 'message', body: 'shrike flew' })], { refresh: true });
    expect(hitIds(await again.search(request(owner, 'keyword', { text: 'shrike' }))).sort()).toEqual(['s-c', 's-f', 's-m', 's-m2']);
    await again.stop();
  } finally {
    await split.stop();
    await dropElasticsearchIndex(ES_URL, name);
  }
}, 60_000);
