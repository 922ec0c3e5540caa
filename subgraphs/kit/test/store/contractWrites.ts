import { upsertIfNewer } from '../../src/store';
import { at, person, seedPeople, type GetContext } from './contractFixtures';

/** Contract part: every update operator, upserts, updateMany and atomicity under concurrency. */
export function writeContract(ctx: GetContext): void {
  beforeEach(async () => {
    await ctx().people.insertMany(seedPeople());
  });

  it('$set sets fields and creates nested paths', async () => {
    const { people } = ctx();
    expect(await people.updateOne({ _id: 'p3' }, { $set: { 'address.city': 'Rome', age: 30 } })).toEqual({
      matchedCount: 1,
      modifiedCount: 1,
    });
    const doc = await people.findById('p3');
    expect(doc?.address).toEqual({ city: 'Rome' });
    expect(doc?.age).toBe(30);
    await people.updateOne({ _id: 'p1' }, { $set: { 'address.zip': 'E2' } });
    expect((await people.findById('p1'))?.address).toEqual({ city: 'London', zip: 'E2' });
  });

  it('$unset removes fields', async () => {
    const { people } = ctx();
    await people.updateOne({ _id: 'p1' }, { $unset: { email: '', 'address.zip': 1 } });
    const doc = await people.findById('p1');
    expect(doc).not.toHaveProperty('email');
    expect(doc?.address).toEqual({ city: 'London' });
    expect(await people.count({ email: { $exists: true } })).toBe(1);
  });

  it('$inc adds to numbers and starts missing ones from zero', async () => {
    const { people } = ctx();
    await people.updateOne({ _id: 'p1' }, { $inc: { score: 5 } });
    await people.updateOne({ _id: 'p3' }, { $inc: { age: 2, score: -7 } });
    expect((await people.findById('p1'))?.score).toBe(15);
    const cy = await people.findById('p3');
    expect([cy?.age, cy?.score]).toEqual([2, 0]);
  });

  it('$push appends one value or several with $each', async () => {
    const { people } = ctx();
    await people.updateOne({ _id: 'p3' }, { $push: { tags: 'new' } });
    await people.updateOne({ _id: 'p3' }, { $push: { tags: { $each: ['a', 'b'] }, items: { sku: 'd', qty: 4 } } });
    const doc = await people.findById('p3');
    expect(doc?.tags).toEqual(['new', 'a', 'b']);
    expect(doc?.items.map((item) => item.sku)).toEqual(['b', 'c', 'd']);
  });

  it('$pull removes values, values matching a condition, and matching sub-documents', async () => {
    const { people } = ctx();
    await people.updateOne({ _id: 'p1' }, { $pull: { tags: 'code' } });
    expect((await people.findById('p1'))?.tags).toEqual(['math']);
    await people.updateOne({ _id: 'p1' }, { $push: { tags: { $each: ['x', 'y', 'z'] } } });
    await people.updateOne({ _id: 'p1' }, { $pull: { tags: { $in: ['math', 'y'] } } });
    expect((await people.findById('p1'))?.tags).toEqual(['x', 'z']);
    await people.updateOne({ _id: 'p3' }, { $pull: { items: { sku: 'b' } } });
    expect((await people.findById('p3'))?.items).toEqual([{ sku: 'c', qty: 3 }]);
    await people.updateOne({ _id: 'p3' }, { $pull: { items: { qty: { $gte: 3 } } } });
    expect((await people.findById('p3'))?.items).toEqual([]);
  });

  it('reports matched and modified counts; a no-op update modifies nothing', async () => {
    const { people } = ctx();
    expect(await people.updateOne({ _id: 'p1' }, { $set: { name: 'Ada' } })).toEqual({ matchedCount: 1, modifiedCount: 0 });
    expect(await people.updateOne({ name: 'Zed' }, { $set: { score: 1 } })).toEqual({ matchedCount: 0, modifiedCount: 0 });
    expect(await people.updateOne({ age: 25 }, { $inc: { score: 100 } })).toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect(await people.count({ score: { $gte: 100 } })).toBe(1);
  });

  it('$setOnInsert does nothing when the document exists', async () => {
    const { people } = ctx();
    const result = await people.updateOne({ _id: 'p1' }, { $setOnInsert: { score: 99 }, $set: { age: 37 } }, { upsert: true });
    expect(result).toEqual({ matchedCount: 1, modifiedCount: 1 });
    const doc = await people.findById('p1');
    expect([doc?.score, doc?.age]).toEqual([10, 37]);
  });

  it('findOneAndUpdate returns the document before or after the update', async () => {
    const { people } = ctx();
    const before = await people.findOneAndUpdate({ _id: 'p2' }, { $inc: { score: 1 } }, { returnDocument: 'before' });
    expect(before?.score).toBe(5);
    const after = await people.findOneAndUpdate({ _id: 'p2' }, { $inc: { score: 1 } }, { returnDocument: 'after' });
    expect(after?.score).toBe(7);
    expect(await people.findOneAndUpdate({ name: 'Zed' }, { $inc: { score: 1 } }, { returnDocument: 'after' })).toBeNull();
  });

  it('updateMany updates every matching document', async () => {
    const { people } = ctx();
    expect(await people.updateMany({ tags: 'math' }, { $inc: { score: 1 }, $push: { tags: 'more' } })).toEqual({
      matchedCount: 2,
      modifiedCount: 2,
    });
    expect((await people.find({ tags: 'more' }, { sort: { _id: 1 } })).map((doc) => [doc._id, doc.score])).toEqual([
      ['p1', 11],
      ['p5', 2],
    ]);
    expect(await people.updateMany({ score: 5 }, { $set: { score: 5 } })).toEqual({ matchedCount: 2, modifiedCount: 0 });
    expect(await people.updateMany({ name: 'Zed' }, { $set: { score: 5 } })).toEqual({ matchedCount: 0, modifiedCount: 0 });
  });

  it('upsert inserts a document built from the filter, $setOnInsert and the update', async () => {
    const { people } = ctx();
    const update = { $set: { age: 20 }, $setOnInsert: { createdAt: at(9) } };
    const first = await people.updateOne({ _id: 'u1', name: 'Uma', age: { $gt: 5 } }, update, { upsert: true });
    expect(first).toEqual({ matchedCount: 0, modifiedCount: 0, upsertedId: 'u1' });
    expect(await people.findById('u1')).toEqual({ _id: 'u1', name: 'Uma', age: 20, createdAt: at(9), tags: [], items: [], score: 0 });
    const second = await people.updateOne(
      { _id: 'u1', name: 'Uma' },
      { $set: { age: 21 }, $setOnInsert: { createdAt: at(10) } },
      { upsert: true },
    );
    expect(second).toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect((await people.findById('u1'))?.createdAt).toEqual(at(9));
  });

  it('upsertIfNewer: inserts, applies a higher order, and leaves the document alone for an equal or lower one', async () => {
    const { people } = ctx();
    const state = (order: number, name: string) => ({ name, score: order, createdAt: at(12) });
    expect(await upsertIfNewer(people, 'r1', 'score', state(2, 'second'))).toBe(true);
    expect(await upsertIfNewer(people, 'r1', 'score', state(1, 'first, late'))).toBe(false);
    expect(await upsertIfNewer(people, 'r1', 'score', state(2, 'second, again'))).toBe(false);
    expect((await people.findById('r1'))?.name).toBe('second');
    expect(await upsertIfNewer(people, 'r1', 'score', state(3, 'third'))).toBe(true);
    expect(await people.findById('r1')).toMatchObject({ name: 'third', score: 3 });
  });

  it('upsert takes dotted and $and equalities and generates a string _id', async () => {
    const { people } = ctx();
    const result = await people.updateOne(
      { $and: [{ name: 'Vi' }, { 'address.city': 'Oslo' }] },
      { $setOnInsert: { createdAt: at(11) }, $inc: { score: 3 } },
      { upsert: true },
    );
    expect(typeof result.upsertedId).toBe('string');
    const doc = await people.findById(result.upsertedId ?? '');
    expect(doc).toMatchObject({ name: 'Vi', address: { city: 'Oslo' }, score: 3, createdAt: at(11) });
  });

  it('findOneAndUpdate with upsert returns the inserted document only when asked for after', async () => {
    const { people } = ctx();
    const after = await people.findOneAndUpdate(
      { _id: 'w1' },
      { $setOnInsert: { name: 'Wu', createdAt: at(1) } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(after).toMatchObject({ _id: 'w1', name: 'Wu' });
    const before = await people.findOneAndUpdate(
      { _id: 'w2' },
      { $setOnInsert: { name: 'Wo', createdAt: at(1) } },
      { upsert: true, returnDocument: 'before' },
    );
    expect(before).toBeNull();
    expect(await people.findById('w2')).toMatchObject({ name: 'Wo' });
  });

  it('loses no concurrent $inc or $push on one document', async () => {
    const { people } = ctx();
    await Promise.all(Array.from({ length: 40 }, () => people.updateOne({ _id: 'p1' }, { $inc: { score: 1 } })));
    await Promise.all(Array.from({ length: 20 }, (_, i) => people.updateOne({ _id: 'p3' }, { $push: { tags: `t${i}` } })));
    expect((await people.findById('p1'))?.score).toBe(50);
    expect((await people.findById('p3'))?.tags).toHaveLength(20);
  });

  it('concurrent upserts on one unique key create one document and apply every update', async () => {
    const { people } = ctx();
    const upserts = Array.from({ length: 10 }, () =>
      people.updateOne({ email: 'z@x' }, { $setOnInsert: { name: 'Zo', createdAt: at(1) }, $inc: { score: 1 } }, { upsert: true }),
    );
    await Promise.all(upserts);
    const found = await people.find({ email: 'z@x' });
    expect(found).toHaveLength(1);
    expect(found[0]?.score).toBe(10);
  });

  it('insertMany inserts every document', async () => {
    const { people } = ctx();
    const inserted = await people.insertMany([person('m1'), person('m2', { tags: ['x'] })]);
    expect(inserted.map((doc) => doc._id)).toEqual(['m1', 'm2']);
    expect(await people.count({})).toBe(7);
  });
}
