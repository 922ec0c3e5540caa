import { DocumentValidationError, DuplicateKeyError, UnsupportedQueryError, type Filter, type Update } from '../../src/store';
import { person, rejectionOf, seedPeople } from './contractFixtures';
import { openStore, removeDir, tempDataDir, type OpenStore } from './helpers';

/** Embedded adapter: choices the port leaves open, and refusals of what the port does not promise. */

let dir: string;
let s: OpenStore;

beforeEach(async () => {
  dir = tempDataDir();
  s = await openStore(dir);
  await s.people.insertMany(seedPeople());
});

afterEach(async () => {
  await s.store.stop();
  removeDir(dir);
});

const unsupportedFilters: Array<[string, Filter]> = [
  ['$regex', { name: { $regex: '^A' } }],
  ['a RegExp value', { name: /^A/ }],
  ['$where', { $where: 'true' }],
  ['$nor', { $nor: [{ name: 'Ada' }] }],
  ['$not', { age: { $not: { $gt: 3 } } }],
  ['$elemMatch', { items: { $elemMatch: { qty: 1 } } }],
  ['$size', { tags: { $size: 2 } }],
  ['an operator mixed with fields', { address: { $exists: true, city: 'London' } }],
  ['$in without an array', { age: { $in: 25 } }],
  ['an empty $or', { $or: [] }],
  ['a positional path', { 'tags.$': 'x' }],
];
it.each(unsupportedFilters)('refuses a filter with %s', async (_label, filter) => {
  expect(await rejectionOf(s.people.find(filter))).toBeInstanceOf(UnsupportedQueryError);
  expect(await rejectionOf(s.people.deleteMany(filter))).toBeInstanceOf(UnsupportedQueryError);
  expect(await s.people.count({})).toBe(5);
});

const unsupportedUpdates: Array<[string, unknown]> = [
  ['$rename', { $rename: { name: 'title' } }],
  ['a replacement document', { name: 'Replaced' }],
  ['no operator', {}],
  ['a positional path', { $set: { 'tags.$': 'x' } }],
  ['$inc by a non-number', { $inc: { score: '1' } }],
  ['$push with $slice', { $push: { tags: { $each: ['x'], $slice: 1 } } }],
  ['conflicting paths', { $set: { address: {} }, $unset: { 'address.city': '' } }],
];
it.each(unsupportedUpdates)('refuses an update with %s and changes nothing', async (_label, update) => {
  const before = await s.people.findById('p1');
  expect(await rejectionOf(s.people.updateOne({ _id: 'p1' }, update as Update))).toBeInstanceOf(UnsupportedQueryError);
  expect(await s.people.findById('p1')).toEqual(before);
});

it('refuses bad sort, skip and limit values', async () => {
  expect(await rejectionOf(s.people.find({}, { sort: { age: 2 as 1 } }))).toBeInstanceOf(UnsupportedQueryError);
  expect(await rejectionOf(s.people.find({}, { limit: -1 }))).toBeInstanceOf(UnsupportedQueryError);
  expect(await rejectionOf(s.people.find({}, { skip: 1.5 }))).toBeInstanceOf(UnsupportedQueryError);
});

it('treats operators that do not fit the document as validation errors', async () => {
  const inc = await rejectionOf(s.people.updateOne({ _id: 'p1' }, { $inc: { name: 1 } }));
  expect(inc).toBeInstanceOf(DocumentValidationError);
  expect((inc as DocumentValidationError).fields).toHaveProperty('name');
  expect(await rejectionOf(s.people.updateOne({ _id: 'p1' }, { $push: { name: 'x' } }))).toBeInstanceOf(DocumentValidationError);
  expect(await rejectionOf(s.people.updateOne({ _id: 'p1' }, { $set: { _id: 'other' } }))).toBeInstanceOf(DocumentValidationError);
  expect((await s.people.findById('p1'))?.name).toBe('Ada');
  expect(await s.people.findById('other')).toBeNull();
});

it('refuses values that cannot round-trip through the journal', async () => {
  const refused = [new Map([['a', 1]]), Buffer.from('x'), { $bad: 1 }, { 'dotted.key': 1 }, new Date(Number.NaN)];
  for (const value of refused) {
    const error = await rejectionOf(s.bags.insertOne({ _id: 'b', value }));
    expect(error).toBeInstanceOf(DocumentValidationError);
    expect(Object.values((error as DocumentValidationError).fields).join()).toMatch(/cannot be stored|field names|invalid date/);
  }
  expect(await s.bags.count({})).toBe(0);
});

it('insertMany is all or nothing', async () => {
  const duplicate = s.people.insertMany([person('n1'), person('n2', { email: 'ada@x' }), person('n3')]);
  expect(await rejectionOf(duplicate)).toBeInstanceOf(DuplicateKeyError);
  const inBatch = s.people.insertMany([person('n1', { email: 'same@x' }), person('n2', { email: 'same@x' })]);
  expect(await rejectionOf(inBatch)).toBeInstanceOf(DuplicateKeyError);
  const invalid = s.people.insertMany([person('n1'), person('n2', { age: -1 })]);
  expect(await rejectionOf(invalid)).toBeInstanceOf(DocumentValidationError);
  expect(await s.people.findByIds(['n1', 'n2', 'n3'])).toEqual([]);
});

it('findOneAndUpdate returns the document before the update by default, like the MongoDB driver', async () => {
  expect((await s.people.findOneAndUpdate({ _id: 'p1' }, { $inc: { score: 1 } }))?.score).toBe(10);
});

it('updateMany keeps the documents updated before one fails', async () => {
  // p2 and p5 both have age 25: the first to get the (unique) email keeps it, the second clashes.
  const error = await rejectionOf(s.people.updateMany({ age: 25 }, { $set: { email: 'shared@x' } }));
  expect(error).toBeInstanceOf(DuplicateKeyError);
  expect(await s.people.count({ email: 'shared@x' })).toBe(1);
});

it('sorts mixed types in MongoDB order (null, numbers, strings, objects, booleans, dates; arrays by their smallest element)', async () => {
  const values: Array<[string, unknown]> = [
    ['date', new Date(0)],
    ['true', true],
    ['array', [1]],
    ['object', { a: 1 }],
    ['string', 'b'],
    ['string-a', 'a'],
    ['number', 10],
    ['number-neg', -1],
    ['null', null],
  ];
  await s.bags.insertMany(values.map(([id, value]) => ({ _id: id, value })));
  await s.bags.insertOne({ _id: 'missing' });
  const ascending = (await s.bags.find({}, { sort: { value: 1, _id: 1 } })).map((doc) => doc._id);
  expect(ascending).toEqual(['missing', 'null', 'number-neg', 'array', 'number', 'string-a', 'string', 'object', 'true', 'date']);
});

it('answers indexed and unindexed equality queries alike as documents change', async () => {
  // `rank` has a non-unique index; `value` has none. Keep them equal and compare the answers.
  await s.bags.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: `b${i}`, rank: i % 5, value: i % 5 })));
  for (let i = 0; i < 30; i += 3) await s.bags.updateOne({ _id: `b${i}` }, { $set: { rank: 7, value: 7 } });
  await s.bags.deleteMany({ rank: 4 });
  for (const target of [0, 1, 4, 7]) {
    const indexed = (await s.bags.find({ rank: target })).map((doc) => doc._id).sort();
    const scanned = (await s.bags.find({ value: target })).map((doc) => doc._id).sort();
    expect(indexed).toEqual(scanned);
    expect((await s.bags.find({ rank: { $in: [target, 99] } })).map((doc) => doc._id).sort()).toEqual(scanned);
  }
  expect(await s.bags.count({ rank: 7 })).toBe(10);
});

it('answers $exists queries on indexed fields alike as documents gain and lose the field', async () => {
  // `rank` has a non-unique index; `value` has none. Keep them present together and compare.
  await s.bags.insertMany(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? { _id: `b${i}`, rank: i, value: i } : { _id: `b${i}` })));
  for (let i = 0; i < 30; i += 3)
    await s.bags.updateOne({ _id: `b${i}` }, i % 2 === 0 ? { $unset: { rank: '', value: '' } } : { $set: { rank: null, value: null } });
  await s.bags.deleteMany({ rank: 4 });
  const indexed = (await s.bags.find({ rank: { $exists: true } })).map((doc) => doc._id).sort();
  const scanned = (await s.bags.find({ value: { $exists: true } })).map((doc) => doc._id).sort();
  expect(indexed).toEqual(scanned);
  expect(indexed.length).toBe(15 - 5 - 1 + 5);
});
