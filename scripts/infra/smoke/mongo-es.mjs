#!/usr/bin/env node
// Smoke test of the dev/CI backing servers started by scripts/infra/mongo.sh and
// scripts/infra/elasticsearch.sh, with the client libraries the subgraphs use (mongoose,
// @elastic/elasticsearch, resolved from subgraphs/kit). Prints what each step proved; exits
// non-zero when a required step fails. "probe" lines record what the server lacks (not failures).
//
//   node scripts/infra/smoke/mongo-es.mjs            both
//   node scripts/infra/smoke/mongo-es.mjs mongo      only MongoDB/FerretDB
//   node scripts/infra/smoke/mongo-es.mjs es         only Elasticsearch
// Env: MONGO_PORT (27027), ES_PORT (9250).
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';

const require = createRequire(new URL('../../../subgraphs/kit/package.json', import.meta.url));
const mongoose = require('mongoose');
const { Client: EsClient } = require('@elastic/elasticsearch');

const MONGO_PORT = Number(process.env.MONGO_PORT || 27027);
const ES_PORT = Number(process.env.ES_PORT || 9250);
const only = process.argv[2];
const runId = `${Date.now().toString(36)}${process.pid}`;

let passed = 0;
let failed = 0;
const probes = [];

async function step(name, fn) {
  const t0 = performance.now();
  try {
    const proved = await fn();
    passed++;
    console.log(`ok    ${name} (${Math.round(performance.now() - t0)} ms): ${proved}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name} (${Math.round(performance.now() - t0)} ms): ${err?.stack || err}`);
  }
}

// A probe records whether something works; it never fails the run.
async function probe(name, fn) {
  try {
    const what = await fn();
    probes.push(`${name}: works${what ? ` (${what})` : ''}`);
    console.log(`probe ${name}: works${what ? ` (${what})` : ''}`);
  } catch (err) {
    const msg = (err?.meta?.body?.error?.root_cause?.[0]?.reason || err?.errmsg || err?.message || String(err)).split('\n')[0];
    const code = err?.code ?? err?.meta?.statusCode;
    probes.push(`${name}: NOT available (${code ? `${code}: ` : ''}${msg})`);
    console.log(`probe ${name}: NOT available (${code ? `${code}: ` : ''}${msg})`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

// ---------------------------------------------------------------- MongoDB (FerretDB) ---
async function mongoSmoke() {
  const dbName = `chatgraph_smoke_${runId}`;
  const uri = `mongodb://127.0.0.1:${MONGO_PORT}/${dbName}`;
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000, directConnection: true, autoIndex: false });

  await step('mongo: connect + ping', async () => {
    await conn.asPromise();
    const admin = conn.db.admin();
    const ping = await admin.ping();
    const info = await admin.buildInfo();
    const hello = await admin.command({ hello: 1 });
    assert(ping.ok === 1, 'ping ok');
    return (
      `wire-protocol ping ok; server reports version ${info.version}, maxWireVersion ${hello.maxWireVersion}` +
      `${info.ferretdb ? `, FerretDB ${info.ferretdb.version} (${info.ferretdb.package})` : ''}; mongoose ${mongoose.version}`
    );
  });
  if (conn.readyState !== 1) return;

  const User = conn.model(
    'User',
    new mongoose.Schema(
      {
        email: { type: String, required: true, unique: true },
        n: Number,
        count: { type: Number, default: 0 },
        tags: [String],
      },
      { collection: 'users' },
    ),
  );

  await step('mongo: collection + unique index', async () => {
    await User.createCollection();
    await User.createIndexes();
    const idx = await User.collection.indexes();
    const uniq = idx.find((i) => i.key?.email === 1);
    assert(uniq?.unique === true, `unique index on email, got ${JSON.stringify(idx)}`);
    return `indexes: ${idx.map((i) => `${i.name}${i.unique ? ' (unique)' : ''}`).join(', ')}`;
  });

  await step('mongo: insert + duplicate key', async () => {
    await User.insertMany(Array.from({ length: 10 }, (_, i) => ({ email: `u${i}@x.test`, n: i, tags: ['a'] })));
    let code;
    try {
      await User.create({ email: 'u3@x.test', n: 99 });
    } catch (e) {
      code = e.code;
    }
    assert(code === 11000, `duplicate insert must fail with 11000, got ${code}`);
    assert((await User.countDocuments()) === 10, '10 documents');
    return 'insertMany 10 docs; a duplicate email is refused with error code 11000 (E11000)';
  });

  await step('mongo: find $in / range / sort', async () => {
    const inRes = await User.find({ n: { $in: [1, 4, 7] } })
      .sort({ n: 1 })
      .lean();
    assert(inRes.map((d) => d.n).join() === '1,4,7', `$in gave ${inRes.map((d) => d.n)}`);
    const range = await User.find({ n: { $gte: 3, $lt: 8 } })
      .sort({ n: -1 })
      .limit(3)
      .lean();
    assert(range.map((d) => d.n).join() === '7,6,5', `range gave ${range.map((d) => d.n)}`);
    return '$in -> [1,4,7]; {$gte:3,$lt:8} sort desc limit 3 -> [7,6,5]';
  });

  await step('mongo: findOneAndUpdate $inc/$push', async () => {
    const a = await User.findOneAndUpdate(
      { email: 'u5@x.test' },
      { $inc: { count: 2 }, $push: { tags: 'b' } },
      { returnDocument: 'after' },
    ).lean();
    const b = await User.findOneAndUpdate(
      { email: 'u5@x.test' },
      { $inc: { count: 1 }, $push: { tags: 'c' } },
      { returnDocument: 'after' },
    ).lean();
    assert(a.count === 2 && b.count === 3, `counts ${a.count}, ${b.count}`);
    assert(b.tags.join() === 'a,b,c', `tags ${b.tags}`);
    const up = await User.findOneAndUpdate(
      { email: 'new@x.test' },
      { $inc: { count: 1 } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    assert(up.count === 1, 'upsert');
    return 'returns the updated doc: count 0->2->3, tags [a]->[a,b]->[a,b,c]; upsert creates';
  });

  await step('mongo: GridFS 1 MiB round trip', async () => {
    const bucket = new mongoose.mongo.GridFSBucket(conn.db, { bucketName: 'smoke' });
    const data = randomBytes(1024 * 1024);
    const id = await new Promise((resolve, reject) => {
      const up = bucket.openUploadStream('blob.bin', { metadata: { kind: 'smoke' } });
      up.on('error', reject).on('finish', () => resolve(up.id));
      up.end(data);
    });
    const chunks = [];
    for await (const c of bucket.openDownloadStream(id)) chunks.push(c);
    const back = Buffer.concat(chunks);
    const h = (b) => createHash('sha256').update(b).digest('hex');
    assert(back.length === data.length && h(back) === h(data), 'same bytes back');
    const nChunks = await conn.db.collection('smoke.chunks').countDocuments({ files_id: id });
    await bucket.delete(id);
    return `uploaded ${data.length} bytes in ${nChunks} chunks, downloaded identical bytes (sha256 ${h(data).slice(0, 12)}…), deleted`;
  });

  // What the adapter must avoid or degrade on (recorded, not failed)
  const coll = conn.db.collection('probe');
  await coll.insertMany([
    { a: 1, at: new Date(), t: 'hello world', arr: [{ x: 1 }, { x: 2 }] },
    { a: 2, at: new Date(), t: 'bye' },
  ]);
  await probe('mongo TTL index (expireAfterSeconds)', () => coll.createIndex({ at: 1 }, { expireAfterSeconds: 60 }));
  await probe('mongo text index', () => coll.createIndex({ t: 'text' }));
  await probe('mongo partial unique index', () => coll.createIndex({ a: 1 }, { unique: true, partialFilterExpression: { a: { $gt: 0 } } }));
  await probe('mongo aggregate $group/$sort', async () => {
    const r = await coll.aggregate([{ $group: { _id: null, s: { $sum: '$a' } } }]).toArray();
    return `sum=${r[0]?.s}`;
  });
  await probe('mongo aggregate $lookup', () =>
    coll.aggregate([{ $lookup: { from: 'users', localField: 'a', foreignField: 'n', as: 'u' } }]).toArray(),
  );
  await probe('mongo aggregate $facet', () => coll.aggregate([{ $facet: { x: [{ $match: {} }] } }]).toArray());
  await probe('mongo updateOne arrayFilters', () =>
    coll.updateOne({ a: 1 }, { $set: { 'arr.$[e].x': 9 } }, { arrayFilters: [{ 'e.x': 2 }] }),
  );
  await probe('mongo findOneAndUpdate with projection', () =>
    coll.findOneAndUpdate({ a: 1 }, { $set: { b: 1 } }, { projection: { a: 1 } }),
  );
  await probe('mongo transactions', async () => {
    const s = conn.getClient().startSession();
    try {
      await s.withTransaction(async () => {
        await coll.insertOne({ a: 3 }, { session: s });
      });
    } finally {
      await s.endSession();
    }
  });
  await probe('mongo change streams', async () => {
    const cs = coll.watch();
    try {
      await Promise.race([cs.tryNext(), new Promise((r) => setTimeout(r, 1000))]);
    } finally {
      await cs.close();
    }
  });

  await step('mongo: drop test database', async () => {
    await conn.dropDatabase();
    await conn.close();
    return `dropped ${dbName}`;
  });
}

// ---------------------------------------------------------------------- Elasticsearch ---
async function esSmoke() {
  const es = new EsClient({ node: `http://127.0.0.1:${ES_PORT}`, requestTimeout: 30000 });
  const template = `chatgraph-smoke-${runId}`;
  const index = `chatgraph-smoke-${runId}-docs`;
  const words = ['quick', 'brown', 'fox', 'lazy', 'dog', 'jumps', 'river', 'stone'];
  const vecOf = (i) => [0, 1, 2, 3].map((d) => (i % 4 === d ? 1 : 0.1) + i / 1000);
  const docs = Array.from({ length: 20 }, (_, i) => ({
    id: `d${i}`,
    title: `doc ${i} ${words[i % 8]}`,
    body: `${words[i % 8]} ${words[(i + 3) % 8]} ${i % 5 === 0 ? 'quick brown fox' : 'calm water'} number ${i}`,
    tag: i % 2 ? 'odd' : 'even',
    n: i,
    vec: vecOf(i),
  }));
  let up = false;

  await step('es: cluster health + product header', async () => {
    const h = await es.cluster.health({ wait_for_status: 'yellow', timeout: '10s' });
    const nodes = await es.nodes.info({ node_id: '_local', metric: ['plugins'] });
    const node = Object.values(nodes.nodes)[0];
    up = true;
    return (
      `status ${h.status}; Elasticsearch ${node.version}; modules ${node.modules.map((m) => m.name).join(', ')} ` +
      `(the client accepted the x-elastic-product header)`
    );
  });
  if (!up) return;
  const license = await es.license.get().then(
    (l) => l.license.type,
    () => 'unknown',
  );

  await step('es: index template with text + dense_vector', async () => {
    await es.indices.putIndexTemplate({
      name: template,
      index_patterns: [`${template}-*`],
      template: {
        settings: { number_of_shards: 1, number_of_replicas: 0 },
        mappings: {
          properties: {
            title: { type: 'text' },
            body: { type: 'text' },
            tag: { type: 'keyword' },
            n: { type: 'integer' },
            vec: { type: 'dense_vector', dims: 4, index: true, similarity: 'cosine' },
          },
        },
      },
    });
    await es.indices.create({ index });
    const m = await es.indices.getMapping({ index });
    const vec = m[index].mappings.properties.vec;
    assert(vec?.type === 'dense_vector' && vec.dims === 4, `mapping from template, got ${JSON.stringify(vec)}`);
    return `composable template ${template} applied to ${index}: vec=dense_vector(4, ${vec.similarity}), body=text`;
  });

  await step('es: bulk 20 docs + refresh', async () => {
    const r = await es.bulk({ operations: docs.flatMap(({ id, ...d }) => [{ index: { _index: index, _id: id } }, d]) });
    assert(!r.errors, `bulk errors: ${JSON.stringify(r.items.find((i) => i.index?.error))}`);
    await es.indices.refresh({ index });
    const { count } = await es.count({ index });
    assert(count === 20, `count ${count}`);
    return `bulk indexed ${r.items.length} docs without item errors; after refresh count=${count}`;
  });

  let bm25;
  await step('es: BM25 match + highlight', async () => {
    const r = await es.search({
      index,
      size: 5,
      query: { match: { body: 'quick fox' } },
      highlight: { fields: { body: {} } },
    });
    bm25 = r.hits.hits;
    const top = r.hits.hits[0];
    assert(r.hits.total.value >= 4, `hits ${r.hits.total.value}`);
    assert(top.highlight?.body?.[0]?.includes('<em>'), `highlight ${JSON.stringify(top.highlight)}`);
    return `${r.hits.total.value} hits, top ${top._id} score ${top._score.toFixed(3)}, highlight "${top.highlight.body[0]}"`;
  });

  let knn;
  const qv = [0.1, 0.1, 1, 0.1];
  await step('es: kNN (HNSW, cosine)', async () => {
    const r = await es.search({ index, knn: { field: 'vec', query_vector: qv, k: 5, num_candidates: 20 }, _source: ['n'] });
    knn = r.hits.hits;
    assert(knn.length === 5 && knn.every((h) => h._source.n % 4 === 2), `nearest must have n%4==2: ${knn.map((h) => h._source.n)}`);
    const q = await es.search({ index, size: 3, query: { knn: { field: 'vec', query_vector: qv, k: 3 } }, _source: ['n'] });
    assert(
      q.hits.hits.every((h) => h._source.n % 4 === 2),
      'knn query form',
    );
    return `top-level knn k=5 -> n=[${knn.map((h) => h._source.n)}] (all nearest to the query vector); the "knn" query clause works too`;
  });

  await step('es: hybrid query + knn in one request (score sum)', async () => {
    const r = await es.search({
      index,
      size: 5,
      query: { match: { body: 'quick fox' } },
      knn: { field: 'vec', query_vector: qv, k: 5, num_candidates: 20, boost: 0.5 },
      _source: ['n'],
    });
    assert(r.hits.hits.length === 5, 'hits');
    return `BM25 + kNN combined by boosted score sum: n=[${r.hits.hits.map((h) => h._source.n)}]`;
  });

  await probe(`es RRF retriever (license ${license})`, async () => {
    const r = await es.search({
      index,
      size: 5,
      retriever: {
        rrf: {
          retrievers: [
            { standard: { query: { match: { body: 'quick fox' } } } },
            { knn: { field: 'vec', query_vector: qv, k: 5, num_candidates: 20 } },
          ],
          rank_window_size: 20,
        },
      },
      _source: ['n'],
    });
    return `n=[${r.hits.hits.map((h) => h._source.n)}]`;
  });

  await step('es: client-side reciprocal rank fusion', async () => {
    // What the adapter does when the server has no rrf retriever: fuse the two ranked lists.
    const k = 60;
    const score = new Map();
    for (const list of [bm25, knn]) list.forEach((h, rank) => score.set(h._id, (score.get(h._id) || 0) + 1 / (k + rank + 1)));
    const fused = [...score].sort((a, b) => b[1] - a[1]).slice(0, 5);
    assert(fused.length > 0, 'fused');
    return `RRF(k=60) of BM25 [${bm25.map((h) => h._id)}] and kNN [${knn.map((h) => h._id)}] -> [${fused.map(([id]) => id)}]`;
  });

  await probe('es GET / (client.info())', async () => (await es.info()).version?.number);
  await probe('es analyzer "english"', () => es.indices.analyze({ analyzer: 'english', text: 'running dogs' }));
  await probe('es token filter "asciifolding"', () =>
    es.indices.analyze({ tokenizer: 'standard', filter: ['asciifolding'], text: 'héllo' }),
  );
  await probe('es _delete_by_query', () => es.deleteByQuery({ index, query: { term: { tag: 'none' } } }));
  await probe('es painless script update', () => es.update({ index, id: 'd1', script: { source: 'ctx._source.n += 1' } }));
  await probe('es terms aggregation', async () => {
    const r = await es.search({ index, size: 0, aggs: { t: { terms: { field: 'tag' } } } });
    return r.aggregations.t.buckets.map((b) => `${b.key}:${b.doc_count}`).join(' ');
  });

  await step('es: cleanup', async () => {
    await es.indices.delete({ index });
    await es.indices.deleteIndexTemplate({ name: template });
    await es.close();
    return `deleted ${index} and template ${template}`;
  });
}

const t0 = performance.now();
try {
  if (only !== 'es') await mongoSmoke();
  if (only !== 'mongo') await esSmoke();
} catch (err) {
  failed++;
  console.log(`FAIL  unexpected: ${err?.stack || err}`);
}
console.log(`\nsmoke mongo-es finished in ${Math.round(performance.now() - t0)} ms; ${probes.length} probes recorded`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
