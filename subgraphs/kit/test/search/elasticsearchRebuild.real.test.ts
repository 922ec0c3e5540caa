/**
 * The Elasticsearch adapter's rebuild against a real server (`ES_URL`, default
 * http://127.0.0.1:9250; run with `pnpm jest -c jest.real.config.js`): a new generation is
 * written and the alias moved atomically while searches keep running, and writes made during the
 * copy are caught up. The index has a unique name, dropped afterwards.
 */
import { Client } from '@elastic/elasticsearch';
import { createElasticsearchIndex, dropElasticsearchIndex } from '../../src/search';
import { contractDefinition, doc, hitIds, newOwner, put, request } from './contractFixtures';

const ES_URL = process.env.ES_URL ?? 'http://127.0.0.1:9250';
const admin = new Client({ node: ES_URL, requestTimeout: 10_000 });
const definition = contractDefinition({ name: `rebuild-${Date.now().toString(36)}` });
const index = createElasticsearchIndex({ node: ES_URL, index: definition });

beforeAll(async () => {
  await index.start();
});

afterAll(async () => {
  await index.stop();
  const behind = await admin.indices.getAlias({ name: definition.name }, { ignore: [404] });
  for (const concrete of Object.keys(behind)) await admin.indices.delete({ index: concrete, ignore_unavailable: true });
  await admin.close();
});

it('rebuilds behind the alias with no failed or empty search, catching up writes and deletes made during the copy', async () => {
  const owner = newOwner();
  const filler = Array.from({ length: 1200 }, (_, i) =>
    doc({ id: `fill-${i}`, ownerId: owner, body: `filler text number ${i}`, vector: [1, i % 7, 1] }),
  );
  await put(index, [
    ...filler,
    doc({ id: 'known', ownerId: owner, body: 'the lighthouse keeper', vector: [0, 1, 0] }),
    doc({ id: 'gone', ownerId: owner, body: 'a lighthouse soon deleted', vector: [0, 1, 1] }),
    doc({ id: 'changed', ownerId: owner, body: 'old words', vector: [1, 0, 0] }),
  ]);

  const outcomes: string[] = [];
  /** One search and one read of the known document; records what went wrong, if anything. */
  const probe = async (): Promise<void> => {
    try {
      const found = hitIds(await index.search(request(owner, 'hybrid', { text: 'lighthouse keeper', vector: [0, 1, 0] })));
      const read = await index.get(owner, ['known']);
      outcomes.push(found.includes('known') && read.length === 1 ? 'ok' : `missing: ${found.join()}`);
    } catch (error) {
      outcomes.push(`failed: ${String(error)}`);
    }
  };
  let done = false;
  const probing = (async () => {
    while (!done) await probe();
  })();

  const [report, ...more] = await index.rebuild({
    afterCopy: async () => {
      // Between the copy and the swap: the old generation still serves and takes writes.
      await probe();
      await index.upsert([doc({ id: 'late', ownerId: owner, body: 'a late lighthouse', vector: [0, 1, 0] })], { refresh: true });
      await index.upsert([doc({ id: 'changed', ownerId: owner, body: 'new words', vector: [1, 0, 0] })], { refresh: true });
      await index.delete(['gone'], { refresh: true });
    },
  });
  done = true;
  await probing;
  await probe();

  expect(more).toEqual([]);
  expect(report).toEqual({
    alias: definition.name,
    from: `${definition.name}-000001`,
    to: `${definition.name}-000002`,
    copied: filler.length + 3,
    caughtUp: 2,
    removed: 1,
  });
  expect(outcomes.filter((outcome) => outcome !== 'ok')).toEqual([]);
  expect(outcomes.length).toBeGreaterThan(1);
  expect(Object.keys(await admin.indices.getAlias({ name: definition.name }))).toEqual([`${definition.name}-000002`]);
  expect(await admin.indices.exists({ index: `${definition.name}-000001` })).toBe(false);
  await index.refresh();
  expect(hitIds(await index.search(request(owner, 'keyword', { text: 'lighthouse' }))).sort()).toEqual(['known', 'late']);
  expect((await index.get(owner, ['changed']))[0]?.text.body).toBe('new words');
  // Vectors were copied: semantic search still finds the known document nearest.
  expect(hitIds(await index.search(request(owner, 'semantic', { vector: [0, 1, 0], size: 1 })))[0]).toMatch(/^(known|late)$/);
  const count = await admin.count({ index: definition.name });
  expect(count.count).toBe(filler.length + 3);

  // Writes after the swap go to the new generation; a second rebuild moves on again.
  await index.upsert([doc({ id: 'after', ownerId: owner, body: 'lighthouse after', vector: [0, 1, 0] })], { refresh: true });
  const [again] = await index.rebuild();
  expect(again).toMatchObject({ from: `${definition.name}-000002`, to: `${definition.name}-000003`, copied: filler.length + 4 });
}, 120_000);

it('keeps each document’s embedding model through a rebuild: the re-embedding scan and the vectorFilter kNN read the new generation through the alias', async () => {
  // An index of its own: scanNotMatching lists every owner's documents.
  const modelled = createElasticsearchIndex({
    node: ES_URL,
    index: contractDefinition({ name: `rebuild-model-${Date.now().toString(36)}` }),
  });
  const alias = modelled.definition.name;
  await modelled.start();
  try {
    const owner = newOwner();
    await put(modelled, [
      doc({ id: 'm-old', ownerId: owner, body: 'puffin colony', vector: [1, 0, 0], keywords: { tags: 'model-old' } }),
      doc({ id: 'm-new', ownerId: owner, body: 'gannet colony', vector: [0.9, 0.1, 0], keywords: { tags: 'model-new' } }),
      doc({ id: 'm-pending', ownerId: owner, body: 'tern colony', keywords: { tags: '(pending)' } }),
    ]);
    const toEmbed = async () =>
      (await modelled.scanNotMatching('tags', ['model-new'], null, 10)).map((found) => [found.id, found.keywords?.tags]);
    const before = await toEmbed();

    const [report] = await modelled.rebuild();

    expect(report?.to).toBe(`${alias}-000002`);
    expect(Object.keys(await admin.indices.getAlias({ name: alias }))).toEqual([`${alias}-000002`]);
    expect(before).toEqual([
      ['m-old', 'model-old'],
      ['m-pending', '(pending)'],
    ]);
    expect(await toEmbed()).toEqual(before);
    // Only the current model's vectors are compared, on the copied vectors and model field.
    const semantic = request(owner, 'semantic', { vector: [1, 0, 0], vectorFilter: { tags: 'model-new' } });
    expect(hitIds(await modelled.search(semantic))).toEqual(['m-new']);
  } finally {
    await modelled.stop();
    const behind = await admin.indices.getAlias({ name: alias }, { ignore: [404] });
    for (const concrete of Object.keys(behind)) await admin.indices.delete({ index: concrete, ignore_unavailable: true });
  }
}, 60_000);

it('rebuilds one kind’s index while searches of every kind keep answering, the other kinds’ indexes untouched', async () => {
  const kinds = ['message', 'conversation', 'file'];
  const split = createElasticsearchIndex({
    node: ES_URL,
    index: contractDefinition({ name: `rebuild-kinds-${Date.now().toString(36)}`, kinds }),
  });
  const name = split.definition.name;
  await split.start();
  try {
    const owner = newOwner();
    const filler = Array.from({ length: 600 }, (_, i) =>
      doc({ id: `kfill-${i}`, ownerId: owner, body: `filler ${i}`, vector: [1, i % 5, 1] }),
    );
    await put(split, [
      ...filler,
      doc({ id: 'k-message', ownerId: owner, kind: 'message', body: 'the osprey nest', vector: [0, 1, 0] }),
      doc({ id: 'k-conversation', ownerId: owner, kind: 'conversation', title: 'osprey watching', vector: [0, 1, 0.1] }),
      doc({ id: 'k-file', ownerId: owner, kind: 'file', body: 'osprey photo log', vector: [0, 1, 0.2] }),
      doc({ id: 'k-gone', ownerId: owner, kind: 'message', body: 'an osprey soon deleted', vector: [0, 1, 0.3] }),
    ]);
    const outcomes: string[] = [];
    const probe = async (): Promise<void> => {
      try {
        const found = hitIds(await split.search(request(owner, 'hybrid', { text: 'osprey', vector: [0, 1, 0] })));
        const every = ['k-message', 'k-conversation', 'k-file'].every((id) => found.includes(id));
        outcomes.push(every ? 'ok' : `missing: ${found.join()}`);
      } catch (error) {
        outcomes.push(`failed: ${String(error)}`);
      }
    };
    let done = false;
    const probing = (async () => {
      while (!done) await probe();
    })();

    const reports = await split.rebuild({
      kinds: ['message'],
      afterCopy: async () => {
        await probe();
        await split.upsert([doc({ id: 'k-late', ownerId: owner, kind: 'message', body: 'a late osprey', vector: [0, 1, 0] })], {
          refresh: true,
        });
        await split.delete(['k-gone'], { refresh: true });
      },
    });
    done = true;
    await probing;
    await probe();

    expect(reports).toEqual([
      {
        alias: `${name}-message`,
        from: `${name}-message-000001`,
        to: `${name}-message-000002`,
        copied: filler.length + 2,
        caughtUp: 1,
        removed: 1,
      },
    ]);
    expect(outcomes.filter((outcome) => outcome !== 'ok')).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(1);
    expect(Object.keys(await admin.indices.getAlias({ name: `${name}-message` }))).toEqual([`${name}-message-000002`]);
    expect(Object.keys(await admin.indices.getAlias({ name: `${name}-conversation` }))).toEqual([`${name}-conversation-000001`]);
    expect(Object.keys(await admin.indices.getAlias({ name: `${name}-file` }))).toEqual([`${name}-file-000001`]);
    await split.refresh();
    expect(hitIds(await split.search(request(owner, 'keyword', { text: 'osprey' }))).sort()).toEqual([
      'k-conversation',
      'k-file',
      'k-late',
      'k-message',
    ]);

    // Without kinds, every kind's index is rebuilt, one after the other.
    const all = await split.rebuild();
    expect(all.map((report) => [report.alias, report.to])).toEqual([
      [`${name}-message`, `${name}-message-000003`],
      [`${name}-conversation`, `${name}-conversation-000002`],
      [`${name}-file`, `${name}-file-000002`],
    ]);
    await expect(split.rebuild({ kinds: ['chat'] })).rejects.toThrow(/kinds/);
  } finally {
    await split.stop();
    await dropElasticsearchIndex(ES_URL, name);
  }
}, 120_000);
