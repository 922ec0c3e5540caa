import { DocumentValidationError, DuplicateKeyError, paginate, type Connection } from '../../src/store';
import { at, person, rejectionOf, seedPeople, type GetContext, type Person } from './contractFixtures';

/** Contract part: unique indexes, schema validation, returned copies, keyset paging, ping. */
export function constraintContract(ctx: GetContext): void {
  beforeEach(async () => {
    await ctx().people.insertMany(seedPeople());
  });

  async function expectDuplicate(promise: Promise<unknown>, index: string): Promise<void> {
    const error = await rejectionOf(promise);
    expect(error).toBeInstanceOf(DuplicateKeyError);
    expect((error as DuplicateKeyError).index).toBe(index);
  }

  it('refuses a duplicate _id and writes nothing', async () => {
    const { people } = ctx();
    expect(await rejectionOf(people.insertOne(person('p1', { name: 'Other' })))).toBeInstanceOf(DuplicateKeyError);
    expect((await people.findById('p1'))?.name).toBe('Ada');
  });

  it('enforces a unique index on insert and update, writing nothing on a clash', async () => {
    const { people } = ctx();
    await expectDuplicate(people.insertOne(person('n1', { email: 'ada@x' })), 'email_1');
    expect(await people.findById('n1')).toBeNull();
    await expectDuplicate(people.updateOne({ _id: 'p4' }, { $set: { email: 'ada@x', score: 99 } }), 'email_1');
    expect(await people.findById('p4')).toMatchObject({ email: 'di@x', score: 5 });
    await people.deleteOne({ _id: 'p1' });
    await people.insertOne(person('n1', { email: 'ada@x' }));
    expect((await people.findOne({ email: 'ada@x' }))?._id).toBe('n1');
  });

  it('lets exactly one of many concurrent inserts of one key win', async () => {
    const { people } = ctx();
    const attempts = Array.from({ length: 10 }, (_, i) => people.insertOne(person(`c${i}`, { email: 'same@x' })));
    const results = await Promise.allSettled(attempts);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    expect(failures).toHaveLength(9);
    for (const failure of failures) expect(failure).toBeInstanceOf(DuplicateKeyError);
    expect(await people.count({ email: 'same@x' })).toBe(1);
  });

  it('enforces a compound unique index on the combination only', async () => {
    const { memberships } = ctx();
    await memberships.insertOne({ _id: 'm1', orgId: 'o1', userId: 'u1', role: 'owner' });
    await memberships.insertOne({ _id: 'm2', orgId: 'o1', userId: 'u2', role: 'member' });
    await memberships.insertOne({ _id: 'm3', orgId: 'o2', userId: 'u1', role: 'member' });
    await expectDuplicate(memberships.insertOne({ _id: 'm4', orgId: 'o1', userId: 'u1', role: 'member' }), 'orgId_1_userId_1');
    await expectDuplicate(memberships.updateOne({ _id: 'm3' }, { $set: { orgId: 'o1' } }), 'orgId_1_userId_1');
    expect(await memberships.count({})).toBe(3);
    expect((await memberships.findById('m3'))?.orgId).toBe('o2');
  });

  it('a sparse unique index ignores documents without the field; a plain one treats missing as null', async () => {
    const { people, accounts } = ctx();
    await people.insertMany([person('s1'), person('s2')]);
    expect(await people.count({ email: { $exists: false } })).toBe(5);
    await accounts.insertOne({ _id: 'a1' });
    await accounts.insertOne({ _id: 'a2', handle: 'h' });
    await expectDuplicate(accounts.insertOne({ _id: 'a3' }), 'handle_1');
    await expectDuplicate(accounts.insertOne({ _id: 'a4', handle: 'h' }), 'handle_1');
    expect(await accounts.count({})).toBe(2);
  });

  it('refuses invalid documents with the failing fields, writing nothing', async () => {
    const { people } = ctx();
    const missing = await rejectionOf(people.insertOne({ _id: 'v1', tags: [] } as unknown as Person));
    expect(missing).toBeInstanceOf(DocumentValidationError);
    expect(Object.keys((missing as DocumentValidationError).fields).sort()).toEqual(['createdAt', 'name']);
    const negative = await rejectionOf(people.insertOne(person('v2', { age: -1 })));
    expect((negative as DocumentValidationError).fields).toHaveProperty('age');
    expect(await people.findByIds(['v1', 'v2'])).toEqual([]);
  });

  it('refuses updates whose result is invalid, leaving the document unchanged', async () => {
    const { people } = ctx();
    const before = await people.findById('p1');
    expect(await rejectionOf(people.updateOne({ _id: 'p1' }, { $set: { age: -5 }, $inc: { score: 1 } }))).toBeInstanceOf(
      DocumentValidationError,
    );
    expect(await rejectionOf(people.updateOne({ _id: 'p1' }, { $unset: { name: '' } }))).toBeInstanceOf(DocumentValidationError);
    expect(await rejectionOf(people.updateMany({ tags: 'math' }, { $set: { age: -1 } }))).toBeInstanceOf(DocumentValidationError);
    expect(await people.findById('p1')).toEqual(before);
    expect((await people.findById('p5'))?.age).toBe(25);
  });

  it('refuses an upsert whose new document is invalid, inserting nothing', async () => {
    const { people } = ctx();
    // No createdAt (required): the document built from the filter and update is invalid.
    const error = await rejectionOf(people.updateOne({ _id: 'x1', name: 'X' }, { $set: { score: 1 } }, { upsert: true }));
    expect(error).toBeInstanceOf(DocumentValidationError);
    expect(await people.findById('x1')).toBeNull();
  });

  it('returns copies: changing a returned or passed-in document does not change the store', async () => {
    const { people } = ctx();
    const input = person('k1', { tags: ['a'], address: { city: 'Kyiv' } });
    const inserted = await people.insertOne(input);
    input.tags.push('from-input');
    inserted.tags.push('from-insert');
    const found = await people.find({ _id: 'k1' });
    found[0]?.tags.push('from-find');
    const byId = await people.findById('k1');
    if (byId?.address) byId.address.city = 'changed';
    byId?.createdAt.setTime(0);
    const updated = await people.findOneAndUpdate({ _id: 'k1' }, { $set: { score: 1 } }, { returnDocument: 'after' });
    updated?.tags.push('from-update');
    const pushed = { sku: 'z', qty: 1 };
    await people.updateOne({ _id: 'k1' }, { $push: { items: pushed } });
    pushed.qty = 100;
    const many = await people.findByIds(['k1']);
    many[0]?.items.push({ sku: 'y', qty: 2 });
    expect(await people.findById('k1')).toEqual({
      ...person('k1'),
      tags: ['a'],
      address: { city: 'Kyiv' },
      score: 1,
      items: [{ sku: 'z', qty: 1 }],
    });
  });

  it('pages with keyset cursors without skips or repeats while rows are inserted', async () => {
    const { people } = ctx();
    // 23 rows, three per minute, so the _id tie-breaker matters.
    await people.insertMany(
      Array.from({ length: 23 }, (_, i) => person(`r${String(i).padStart(2, '0')}`, { tags: ['page'], createdAt: at(Math.floor(i / 3)) })),
    );
    const options = { sortField: 'createdAt', direction: -1 as const };
    const seen: string[] = [];
    let page: Connection<Person> = await paginate(people, { tags: 'page' }, { first: 5 }, options);
    expect(page.pageInfo.hasPreviousPage).toBe(false);
    seen.push(...page.edges.map((edge) => edge.node._id));
    const cursorNode = page.edges[page.edges.length - 1]?.node as Person;
    // Newer than the cursor (already passed in descending order): must not show up.
    await people.insertOne(person('zz-newer', { tags: ['page'], createdAt: at(100) }));
    await people.insertOne(person(`${cursorNode._id}z`, { tags: ['page'], createdAt: cursorNode.createdAt }));
    // Older than the cursor, or tied with a smaller _id: still ahead, must show up.
    await people.insertOne(person('aa-older', { tags: ['page'], createdAt: at(-1) }));
    await people.insertOne(person(`${cursorNode._id.slice(0, -1)}`, { tags: ['page'], createdAt: cursorNode.createdAt }));
    while (page.pageInfo.hasNextPage) {
      page = await paginate(people, { tags: 'page' }, { first: 5, after: page.pageInfo.endCursor }, options);
      expect(page.pageInfo.hasPreviousPage).toBe(true);
      seen.push(...page.edges.map((edge) => edge.node._id));
    }
    expect(new Set(seen).size).toBe(seen.length);
    const expected = [...Array.from({ length: 23 }, (_, i) => `r${String(i).padStart(2, '0')}`), 'aa-older', cursorNode._id.slice(0, -1)];
    expect([...seen].sort()).toEqual(expected.sort());
    const times = await people.findByIds(seen);
    const byId = new Map(times.map((doc) => [doc._id, doc.createdAt.getTime()]));
    const order = seen.map((id) => byId.get(id) ?? NaN);
    expect(order).toEqual([...order].sort((a, b) => b - a));
  });

  it("pages backward with last/before, in the list's own order, and counts the whole list", async () => {
    const { people } = ctx();
    // 12 rows, two per minute, so the _id tie-breaker matters going backward too.
    const ids = Array.from({ length: 12 }, (_, i) => `b${String(i).padStart(2, '0')}`);
    await people.insertMany(ids.map((id, i) => person(id, { tags: ['back'], createdAt: at(Math.floor(i / 2)) })));
    const options = { sortField: 'createdAt', direction: 1 as const };
    const seen: string[][] = [];
    let page: Connection<Person> = await paginate(people, { tags: 'back' }, { last: 5 }, options);
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    expect(await page.totalCount()).toBe(12);
    seen.unshift(page.edges.map((edge) => edge.node._id));
    while (page.pageInfo.hasPreviousPage) {
      page = await paginate(people, { tags: 'back' }, { last: 5, before: page.pageInfo.startCursor }, options);
      expect(page.pageInfo.hasNextPage).toBe(true);
      seen.unshift(page.edges.map((edge) => edge.node._id));
    }
    expect(seen).toEqual([ids.slice(0, 2), ids.slice(2, 7), ids.slice(7)]);
    // A window between two cursors, from either end.
    const all = await paginate(people, { tags: 'back' }, { first: 12 }, options);
    const cursorAt = (i: number) => all.edges[i]?.cursor;
    const between = { after: cursorAt(2), before: cursorAt(9) };
    expect((await paginate(people, { tags: 'back' }, { first: 3, ...between }, options)).edges.map((e) => e.node._id)).toEqual(
      ids.slice(3, 6),
    );
    expect((await paginate(people, { tags: 'back' }, { last: 3, ...between }, options)).edges.map((e) => e.node._id)).toEqual(
      ids.slice(6, 9),
    );
  });

  it('refuses first with last, sizes out of range and malformed cursors, naming the argument', async () => {
    const { people } = ctx();
    const options = { sortField: 'createdAt', direction: 1 as const, maxSize: 10 };
    const fieldOf = async (page: Parameters<typeof paginate>[2]) =>
      ((await rejectionOf(paginate(people, {}, page, options))) as { extensions?: unknown }).extensions;
    expect(await fieldOf({ first: 1, last: 1 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
    expect(await fieldOf({ last: 11 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
    expect(await fieldOf({ first: -1 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(await fieldOf({ before: 'garbage' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
    expect(await fieldOf({ after: 'garbage' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('answers ping while running and refuses once stopped', async () => {
    const { store } = ctx();
    await expect(store.ping()).resolves.toBeUndefined();
    await store.stop();
    await expect(store.ping()).rejects.toThrow();
  });
}
