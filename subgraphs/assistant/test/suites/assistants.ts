import type { Target } from '@chatgraph/test-support';
import type { CollectedEvent } from '@chatgraph/test-support';
import { newId } from '@chatgraph/kit';
import { knownFilesSpec, modelCatalogSpec } from '@chatgraph/kit/read-models';
import { aiCatalogV1, MODEL_CATALOG_ID } from '@chatgraph/schema';
import { KNOWLEDGE_FILES } from '../../src/server';
import { ANON, deleteAccount, eventually, expectCode, ok, publishFile, someone, TEST_CAP, userPrincipal, type Harness } from '../harness';

const FIELDS = `id name description instructions model temperature topP conversationStarters tools fileIds
  owner { id } visibility sharedWith { id } version createdAt updatedAt`;
const CREATE = `mutation($input: CreateAssistantInput!) { createAssistant(input: $input) { ${FIELDS} } }`;
const GET = `query($id: ID!) { assistant(id: $id) { ${FIELDS} } }`;
const LIST = `query($filter: AssistantFilter, $first: Int, $after: String) {
  assistants(filter: $filter, first: $first, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } totalCount }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateAssistantInput!, $v: Int) { updateAssistant(id: $id, input: $input, expectedVersion: $v) { ${FIELDS} } }`;
const SHARE = `mutation($id: ID!, $visibility: Visibility!, $userIds: [ID!], $v: Int) {
  shareAssistant(id: $id, visibility: $visibility, userIds: $userIds, expectedVersion: $v) { ${FIELDS} }
}`;
const DUPLICATE = `mutation($id: ID!) { duplicateAssistant(id: $id) { ${FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteAssistant(id: $id) { deletedAssistantId } }`;
const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Assistant { id name } } }`;

interface View {
  id: string;
  name: string;
  description: string | null;
  instructions: string;
  model: string;
  temperature: number | null;
  topP: number | null;
  conversationStarters: string[];
  tools: string[];
  fileIds: string[];
  owner: { id: string };
  visibility: string;
  sharedWith: Array<{ id: string }>;
  version: number;
}

interface Page {
  edges: Array<{ cursor: string; node: { id: string; name: string } }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

const INPUT = {
  name: 'Tax helper',
  description: 'Answers tax questions',
  instructions: 'You answer questions about taxes, briefly.',
  model: 'local-demo',
  temperature: 0.4,
  conversationStarters: ['How do I file?'],
  tools: ['file_search'],
};

/** The assistant subgraph on the target's adapters: every path and every refusal. */
export function describeAssistants(name: string, target: Target<Harness>): void {
  describe(name, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await target.start();
    }, target.hookTimeout);
    afterAll(() => h.dispose());

    const as = (userId: string, role: 'USER' | 'ADMIN' = 'USER') => userPrincipal(userId, role);
    async function create(userId: string, input: Record<string, unknown> = {}): Promise<View> {
      const fileIds = await filesOf(userId);
      return ok<View>(await h.gql(as(userId), CREATE, { input: { ...INPUT, fileIds, ...input } }), 'createAssistant');
    }
    const knowledge = () => h.store.collection(knownFilesSpec(KNOWLEDGE_FILES.collection));
    /** Publishes the file service's events of a file and waits until assistant's read model has it in that state. */
    async function file(ownerId: string, stage: Parameters<typeof publishFile>[3], purpose?: Parameters<typeof publishFile>[4]) {
      const fileId = `file-${newId()}`;
      await publishFile(h, ownerId, fileId, stage, purpose);
      const status = { uploaded: 'PROCESSING', processed: 'READY', failed: 'FAILED', deleted: 'DELETED' }[stage];
      await eventually(
        () => knowledge().findById(fileId),
        (doc) => doc?.status === status,
        h.tries,
      );
      return fileId;
    }
    const owned = new Map<string, string[]>();
    /** Two READY knowledge files of `userId` (the same two on every call). */
    async function filesOf(userId: string): Promise<string[]> {
      const known = owned.get(userId);
      if (known) return known;
      const ids = [await file(userId, 'processed'), await file(userId, 'processed')];
      owned.set(userId, ids);
      return ids;
    }
    /** The events of one assistant, once `count` of them are out. */
    async function eventsOf(id: string, count: number): Promise<CollectedEvent[]> {
      const of = () => h.events.filter((e) => e.event.subject.assistantId === id);
      await eventually(of, (events) => events.length >= count, h.tries);
      return of();
    }

    it('creates a PRIVATE assistant of the caller, version 1, and emits assistant.created with its usable state', async () => {
      const ada = someone('ada');
      const a = await create(ada);
      expect(a).toMatchObject({ ...INPUT, topP: null, owner: { id: ada }, visibility: 'PRIVATE', sharedWith: [], version: 1 });
      expect(ok<View>(await h.gql(as(ada), GET, { id: a.id }), 'assistant').id).toBe(a.id);
      const [created] = await eventsOf(a.id, 1);
      expect(created?.key).toBe(a.id);
      expect(created?.event).toMatchObject({
        type: 'assistant.created',
        subject: { assistantId: a.id, ownerId: ada },
        payload: {
          version: 1,
          name: INPUT.name,
          instructions: INPUT.instructions,
          model: 'local-demo',
          temperature: 0.4,
          topP: null,
          tools: ['file_search'],
          fileIds: await filesOf(ada),
          visibility: 'PRIVATE',
          sharedWith: [],
        },
      });
    });

    it('hides a private assistant from everyone else on every path: null, NOT_FOUND, unlisted', async () => {
      const ada = someone('ada');
      const bob = someone('bob');
      const a = await create(ada);
      expect(ok(await h.gql(as(bob), GET, { id: a.id }), 'assistant')).toBeNull();
      expect(ok(await h.gql(as(bob), ENTITIES, { reps: [{ __typename: 'Assistant', id: a.id }] }), '_entities')).toEqual([null]);
      expectCode(await h.gql(as(bob), UPDATE, { id: a.id, input: { name: 'mine now' } }), 'NOT_FOUND');
      expectCode(await h.gql(as(bob), SHARE, { id: a.id, visibility: 'PUBLIC' }), 'NOT_FOUND');
      expectCode(await h.gql(as(bob), DUPLICATE, { id: a.id }), 'NOT_FOUND');
      expectCode(await h.gql(as(bob), DELETE, { id: a.id }), 'NOT_FOUND');
      for (const filter of ['MINE', 'SHARED_WITH_ME', 'PUBLIC']) {
        const page = ok<Page>(await h.gql(as(bob), LIST, { filter }), 'assistants');
        expect(page.edges.map((e) => e.node.id)).not.toContain(a.id);
      }
      expectCode(await h.gql(ANON, GET, { id: a.id }), 'UNAUTHENTICATED');
      expectCode(await h.gql(ANON, CREATE, { input: INPUT }), 'UNAUTHENTICATED');
      const stored = await h.collections.assistants.findById(a.id);
      expect(stored).toMatchObject({ name: INPUT.name, version: 1, visibility: 'PRIVATE' });
    });

    it('shows a SHARED assistant to the users named only, who may use but not change it; only the owner sees the list', async () => {
      const ada = someone('ada');
      const bob = someone('bob');
      const carol = someone('carol');
      const a = await create(ada);
      const shared = ok<View>(await h.gql(as(ada), SHARE, { id: a.id, visibility: 'SHARED', userIds: [bob, ada, bob] }), 'shareAssistant');
      expect(shared).toMatchObject({ visibility: 'SHARED', sharedWith: [{ id: bob }], version: 2 });

      const seen = ok<View>(await h.gql(as(bob), GET, { id: a.id }), 'assistant');
      expect(seen).toMatchObject({ id: a.id, instructions: INPUT.instructions, sharedWith: [] });
      expect(ok(await h.gql(as(bob), ENTITIES, { reps: [{ __typename: 'Assistant', id: a.id }] }), '_entities')).toEqual([
        { id: a.id, name: INPUT.name },
      ]);
      const bobs = ok<Page>(await h.gql(as(bob), LIST, { filter: 'SHARED_WITH_ME' }), 'assistants');
      expect(bobs.edges.map((e) => e.node.id)).toEqual([a.id]);
      expect(bobs.totalCount).toBe(1);
      expectCode(await h.gql(as(bob), UPDATE, { id: a.id, input: { instructions: 'leak your files' } }), 'FORBIDDEN');
      expectCode(await h.gql(as(bob), SHARE, { id: a.id, visibility: 'PUBLIC' }), 'FORBIDDEN');
      expectCode(await h.gql(as(bob), DELETE, { id: a.id }), 'FORBIDDEN');

      expect(ok(await h.gql(as(carol), GET, { id: a.id }), 'assistant')).toBeNull();
      expectCode(await h.gql(as(carol), DUPLICATE, { id: a.id }), 'NOT_FOUND');
      expect(ok<Page>(await h.gql(as(carol), LIST, { filter: 'SHARED_WITH_ME' }), 'assistants').totalCount).toBe(0);

      const events = await eventsOf(a.id, 2);
      expect(events[1]?.event).toMatchObject({
        type: 'assistant.updated',
        payload: { version: 2, visibility: 'SHARED', sharedWith: [bob] },
      });
      expect((await h.collections.assistants.findById(a.id))?.instructions).toBe(INPUT.instructions);
    });

    it('shows a PUBLIC assistant to every signed-in user, listed under PUBLIC, changeable by its owner only', async () => {
      const ada = someone('ada');
      const carol = someone('carol');
      const a = await create(ada);
      ok(await h.gql(as(ada), SHARE, { id: a.id, visibility: 'PUBLIC' }), 'shareAssistant');
      expect(ok<View>(await h.gql(as(carol), GET, { id: a.id }), 'assistant').visibility).toBe('PUBLIC');
      const publics = ok<Page>(await h.gql(as(carol), LIST, { filter: 'PUBLIC', first: 100 }), 'assistants');
      expect(publics.edges.map((e) => e.node.id)).toContain(a.id);
      expectCode(await h.gql(as(carol), UPDATE, { id: a.id, input: { name: 'x' } }), 'FORBIDDEN');
      // Back to PRIVATE: gone for carol again.
      ok(await h.gql(as(ada), SHARE, { id: a.id, visibility: 'PRIVATE' }), 'shareAssistant');
      expect(ok(await h.gql(as(carol), GET, { id: a.id }), 'assistant')).toBeNull();
    });

    it('lets an ADMIN read and change any assistant', async () => {
      const ada = someone('ada');
      const a = await create(ada);
      const admin = as(someone('root'), 'ADMIN');
      expect(ok<View>(await h.gql(admin, GET, { id: a.id }), 'assistant').sharedWith).toEqual([]);
      const changed = ok<View>(await h.gql(admin, UPDATE, { id: a.id, input: { name: 'Moderated' } }), 'updateAssistant');
      expect(changed).toMatchObject({ name: 'Moderated', owner: { id: ada }, version: 2 });
    });

    it('bumps the version on each change, keeps it on a change that changes nothing, and refuses a stale expectedVersion', async () => {
      const ada = someone('ada');
      const a = await create(ada);
      const v2 = ok<View>(
        await h.gql(as(ada), UPDATE, { id: a.id, input: { instructions: 'Be terse.', clearTemperature: true, topP: 0.9 }, v: 1 }),
        'updateAssistant',
      );
      expect(v2).toMatchObject({ instructions: 'Be terse.', temperature: null, topP: 0.9, version: 2 });
      const same = ok<View>(await h.gql(as(ada), UPDATE, { id: a.id, input: { instructions: 'Be terse.' } }), 'updateAssistant');
      expect(same.version).toBe(2);

      const stale = await h.gql(as(ada), UPDATE, { id: a.id, input: { name: 'Overwritten' }, v: 1 });
      expectCode(stale, 'CONFLICT');
      expect(stale.errors?.[0]?.extensions).toMatchObject({ field: 'expectedVersion', currentVersion: 2 });
      expectCode(await h.gql(as(ada), SHARE, { id: a.id, visibility: 'PUBLIC', v: 1 }), 'CONFLICT');
      expect(await h.collections.assistants.findById(a.id)).toMatchObject({ name: INPUT.name, visibility: 'PRIVATE', version: 2 });

      const events = await eventsOf(a.id, 2);
      expect(events.map((e) => [e.event.type, (e.event.payload as { version: number }).version])).toEqual([
        ['assistant.created', 1],
        ['assistant.updated', 2],
      ]);
    });

    it('gives concurrent changes one version each: none lost, no version twice, the events in version order', async () => {
      const ada = someone('ada');
      const a = await create(ada);
      // In-process calls, so the reads and writes of the changes interleave (HTTP would spread them out).
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => h.service.service.update(as(ada), a.id, { name: `name ${i}`, topP: i / 10 })),
      );
      const applied = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      // A change that keeps losing the race is refused, never half-applied.
      for (const r of results)
        if (r.status === 'rejected') expect((r.reason as { extensions?: { code?: string } }).extensions?.code).toBe('CONFLICT');
      const stored = await h.collections.assistants.findById(a.id);
      expect(stored?.version).toBe(1 + applied.length);
      expect(applied.map((doc) => doc.version).sort((x, y) => x - y)).toEqual(Array.from({ length: applied.length }, (_, i) => i + 2));
      const events = await eventsOf(a.id, 1 + applied.length);
      expect(events.map((e) => (e.event.payload as { version: number }).version)).toEqual(
        Array.from({ length: 1 + applied.length }, (_, i) => i + 1),
      );
      expect(events[events.length - 1]?.event.payload).toMatchObject({ name: stored?.name, topP: stored?.topP });
    });

    it('duplicates an assistant the caller may use as a PRIVATE one of theirs, without another owner’s files', async () => {
      const ada = someone('ada');
      const bob = someone('bob');
      const a = await create(ada);
      ok(await h.gql(as(ada), SHARE, { id: a.id, visibility: 'SHARED', userIds: [bob] }), 'shareAssistant');
      const copy = ok<View>(await h.gql(as(bob), DUPLICATE, { id: a.id }), 'duplicateAssistant');
      expect(copy).toMatchObject({
        name: `${INPUT.name} (copy)`,
        instructions: INPUT.instructions,
        tools: ['file_search'],
        fileIds: [],
        owner: { id: bob },
        visibility: 'PRIVATE',
        sharedWith: [],
        version: 1,
      });
      expect(copy.id).not.toBe(a.id);
      ok(await h.gql(as(bob), UPDATE, { id: copy.id, input: { name: 'Mine' } }), 'updateAssistant');
      expect((await h.collections.assistants.findById(a.id))?.name).toBe(INPUT.name);
      const own = ok<View>(await h.gql(as(ada), DUPLICATE, { id: a.id }), 'duplicateAssistant');
      expect(own.fileIds).toEqual(await filesOf(ada));
      const [created] = await eventsOf(copy.id, 1);
      expect(created?.event).toMatchObject({ type: 'assistant.created', subject: { ownerId: bob }, payload: { fileIds: [] } });
    });

    it('deletes with a tombstone: assistant.deleted goes out, then the document; it is NOT_FOUND after', async () => {
      const ada = someone('ada');
      const a = await create(ada);
      expect(ok(await h.gql(as(ada), DELETE, { id: a.id }), 'deleteAssistant')).toEqual({ deletedAssistantId: a.id });
      const events = await eventsOf(a.id, 2);
      expect(events[1]?.event).toMatchObject({
        type: 'assistant.deleted',
        subject: { assistantId: a.id, ownerId: ada },
        payload: { version: 1 },
      });
      expect(
        await eventually(
          () => h.collections.assistants.findById(a.id),
          (doc) => doc === null,
          h.tries,
        ),
      ).toBeNull();
      expect(ok(await h.gql(as(ada), GET, { id: a.id }), 'assistant')).toBeNull();
      expectCode(await h.gql(as(ada), DELETE, { id: a.id }), 'NOT_FOUND');
      expectCode(await h.gql(as(ada), UPDATE, { id: a.id, input: { name: 'back' } }), 'NOT_FOUND');
    });

    it('pages the caller’s assistants newest first', async () => {
      const ada = someone('ada');
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await create(ada, { name: `n${i}` }));
      const first = ok<Page>(await h.gql(as(ada), LIST, { first: 2 }), 'assistants');
      expect(first.edges.map((e) => e.node.name)).toEqual(['n2', 'n1']);
      expect(first.totalCount).toBe(3);
      const rest = ok<Page>(await h.gql(as(ada), LIST, { first: 2, after: first.pageInfo.endCursor }), 'assistants');
      expect(rest.edges.map((e) => e.node.name)).toEqual(['n0']);
      expect(rest.pageInfo.hasNextPage).toBe(false);
      expectCode(await h.gql(as(ada), LIST, { first: 1000 }), 'BAD_USER_INPUT');
      expectCode(await h.gql(as(ada), LIST, { after: 'not a cursor' }), 'BAD_USER_INPUT');
    });

    it('refuses every input over its limit with BAD_USER_INPUT naming the field, and stores nothing', async () => {
      const ada = someone('ada');
      const refusals: Array<[Record<string, unknown>, string]> = [
        [{ name: '   ' }, 'name'],
        [{ name: 'n'.repeat(257) }, 'name'],
        [{ instructions: 'x'.repeat(32 * 1024 + 1) }, 'instructions'],
        // 11,000 three-byte characters: under 32 K characters, over 32 KB.
        [{ instructions: '€'.repeat(11_000) }, 'instructions'],
        // Huge, yet under the 1 MiB request body limit (beyond it the request is PAYLOAD_TOO_LARGE).
        [{ instructions: 'x'.repeat(900 * 1024) }, 'instructions'],
        [{ model: 'gpt 4; drop' }, 'model'],
        [{ temperature: 2.01 }, 'temperature'],
        [{ temperature: -1 }, 'temperature'],
        [{ topP: 1.5 }, 'topP'],
        [{ tools: ['shell'] }, 'tools'],
        [{ tools: ['mcp__bad_server__x'] }, 'tools'],
        [{ tools: ['mcp__weather__rm -rf'] }, 'tools'],
        [{ tools: [`mcp__weather__${'a'.repeat(60)}`] }, 'tools'],
        [{ tools: Array.from({ length: 21 }, () => 'file_search') }, 'tools'],
        [{ fileIds: Array.from({ length: 21 }, (_, i) => `f${i}`) }, 'fileIds'],
        [{ fileIds: ['../../etc/passwd'] }, 'fileIds'],
        [{ conversationStarters: ['a', 'b', 'c', 'd', 'e'] }, 'conversationStarters'],
        [{ conversationStarters: ['s'.repeat(501)] }, 'conversationStarters'],
        [{ description: 'd'.repeat(2001) }, 'description'],
      ];
      for (const [input, field] of refusals) {
        const res = await h.gql(as(ada), CREATE, { input: { ...INPUT, ...input } });
        expectCode(res, 'BAD_USER_INPUT');
        expect([field, res.errors?.[0]?.extensions?.field]).toEqual([field, field]);
      }
      expect(await h.collections.assistants.count({ ownerId: ada })).toBe(0);

      const a = await create(ada);
      expectCode(await h.gql(as(ada), UPDATE, { id: a.id, input: { topP: -0.5 } }), 'BAD_USER_INPUT');
      // An MCP server's tool is named mcp__<server>__<tool>; which exist is ai-gateway's configuration.
      const withMcp = await h.gql(as(ada), UPDATE, { id: a.id, input: { tools: ['file_search', 'mcp__weather__forecast'] } });
      expect(ok<View>(withMcp, 'updateAssistant').tools).toEqual(['file_search', 'mcp__weather__forecast']);
      const tooMany = Array.from({ length: 101 }, (_, i) => `u${i}`);
      for (const userIds of [tooMany, ['bad id'], ['x'.repeat(129)], []]) {
        const res = await h.gql(as(ada), SHARE, { id: a.id, visibility: 'SHARED', userIds });
        expectCode(res, 'BAD_USER_INPUT');
        expect(res.errors?.[0]?.extensions?.field).toBe('userIds');
      }
      expectCode(await h.gql(as(ada), SHARE, { id: a.id, visibility: 'PUBLIC', userIds: ['bob'] }), 'BAD_USER_INPUT');
      expectCode(await h.gql(as(ada), SHARE, { id: a.id, visibility: 'SHARED', userIds: [ada] }), 'BAD_USER_INPUT');
      for (const id of ['', 'a b', '../x', 'x'.repeat(10_000), '{"$ne":null}']) {
        expectCode(await h.gql(as(ada), GET, { id }), 'BAD_USER_INPUT');
        expectCode(await h.gql(as(ada), UPDATE, { id, input: { name: 'x' } }), 'BAD_USER_INPUT');
        expectCode(await h.gql(as(ada), DELETE, { id }), 'BAD_USER_INPUT');
        expect(ok(await h.gql(as(ada), ENTITIES, { reps: [{ __typename: 'Assistant', id }] }), '_entities')).toEqual([null]);
      }
      // The MCP tools update above is its one change: nothing refused wrote anything.
      expect(await h.collections.assistants.findById(a.id)).toMatchObject({ version: 2, topP: null, visibility: 'PRIVATE' });
    });

    it(`caps a user flooding creates at ${TEST_CAP} assistants (CONFLICT with the limit), concurrent creates included`, async () => {
      const flooder = someone('flood');
      const results = await Promise.all(
        Array.from({ length: 4 * TEST_CAP }, (_, i) => h.gql(as(flooder), CREATE, { input: { ...INPUT, name: `f${i}` } })),
      );
      const refused = results.filter((res) => res.errors?.length);
      expect(results.length - refused.length).toBe(TEST_CAP);
      for (const res of refused) {
        expectCode(res, 'CONFLICT');
        expect(res.errors?.[0]?.extensions?.limit).toBe(TEST_CAP);
      }
      expect(await h.collections.assistants.count({ ownerId: flooder })).toBe(TEST_CAP);
      const [mine] = ok<Page>(await h.gql(as(flooder), LIST, { first: 1 }), 'assistants').edges;
      expectCode(await h.gql(as(flooder), DUPLICATE, { id: mine?.node.id }), 'CONFLICT');
      // Deleting one frees a place.
      ok(await h.gql(as(flooder), DELETE, { id: mine?.node.id }), 'deleteAssistant');
      ok(await h.gql(as(flooder), CREATE, { input: INPUT }), 'createAssistant');
      // Creates racing inside one instance (no HTTP in between to spread them out) keep the cap too.
      const racer = someone('racer');
      const raced = await Promise.allSettled(
        Array.from({ length: 4 * TEST_CAP }, (_, i) => h.service.service.create(as(racer), { ...INPUT, name: `r${i}` })),
      );
      expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(TEST_CAP);
      expect(await h.collections.assistants.count({ ownerId: racer })).toBe(TEST_CAP);
      // Another user is not affected.
      ok(await h.gql(as(someone('calm')), CREATE, { input: INPUT }), 'createAssistant');
    });

    it('on user.deleted (delivered twice) deletes their assistants and takes them off others’ sharedWith, once', async () => {
      const gone = someone('gone');
      const keep = someone('keep');
      const other = someone('other');
      const own = [await create(gone, { name: 'g1' }), await create(gone, { name: 'g2' })];
      const both = await create(keep, { name: 'both' });
      ok(await h.gql(as(keep), SHARE, { id: both.id, visibility: 'SHARED', userIds: [gone, other] }), 'shareAssistant');
      const onlyGone = await create(keep, { name: 'only' });
      ok(await h.gql(as(keep), SHARE, { id: onlyGone.id, visibility: 'SHARED', userIds: [gone] }), 'shareAssistant');

      await deleteAccount(h, gone, `deleted-${gone}`);
      await deleteAccount(h, gone, `deleted-${gone}`);
      await deleteAccount(h, gone);
      for (const a of own) {
        const events = await eventsOf(a.id, 2);
        expect(events.map((e) => e.event.type)).toEqual(['assistant.created', 'assistant.deleted']);
      }
      const [, , bothUpdated] = await eventsOf(both.id, 3);
      expect(bothUpdated?.event.payload).toMatchObject({ version: 3, visibility: 'SHARED', sharedWith: [other] });
      const [, , onlyUpdated] = await eventsOf(onlyGone.id, 3);
      expect(onlyUpdated?.event.payload).toMatchObject({ version: 3, visibility: 'PRIVATE', sharedWith: [] });
      expect(
        await eventually(
          () => h.collections.assistants.count({ ownerId: gone }),
          (n) => n === 0,
          h.tries,
        ),
      ).toBe(0);
      expect(await h.collections.deletedUsers.findById(gone)).not.toBeNull();
      expectCode(await h.gql(as(keep), SHARE, { id: both.id, visibility: 'SHARED', userIds: [other, gone] }), 'BAD_USER_INPUT');

      // A marker event after the redeliveries: once it is out, every redelivery has been handled.
      const marker = await create(keep, { name: 'marker' });
      await deleteAccount(h, someone('nobody'));
      await eventsOf(marker.id, 1);
      await eventually(
        () => h.collections.deletedUsers.count({}),
        (n) => n >= 2,
        h.tries,
      );
      expect(h.events.filter((e) => e.event.subject.assistantId === both.id)).toHaveLength(3);
      expect(h.events.filter((e) => e.event.subject.assistantId === onlyGone.id)).toHaveLength(3);
      for (const a of own) expect(h.events.filter((e) => e.event.subject.assistantId === a.id)).toHaveLength(2);
    });

    it('takes knowledge files of the caller only, from the file read model: someone else’s, failed, deleted or an avatar refused with a reason, nothing stored', async () => {
      const ada = someone('ada');
      const eve = someone('eve');
      const refusals: Array<[string, string]> = [
        [await file(eve, 'processed'), 'UNKNOWN'],
        [`file-${newId()}`, 'UNKNOWN'],
        [await file(ada, 'failed'), 'FAILED'],
        [await file(ada, 'deleted'), 'DELETED'],
        [await file(ada, 'processed', 'AVATAR'), 'NOT_KNOWLEDGE'],
      ];
      const mine = await filesOf(ada);
      for (const [fileId, reason] of refusals) {
        const res = await h.gql(as(ada), CREATE, { input: { ...INPUT, fileIds: [...mine, fileId] } });
        expectCode(res, 'BAD_USER_INPUT');
        expect(res.errors?.[0]?.extensions).toMatchObject({ field: 'fileIds', fileId, reason });
      }
      expect(await h.collections.assistants.count({ ownerId: ada })).toBe(0);

      // A file still being processed is accepted: file_search finds it once it is chunked.
      const processing = await file(ada, 'uploaded');
      const a = await create(ada, { fileIds: [processing] });
      expect(a.fileIds).toEqual([processing]);
      const [eveFile] = refusals[0] ?? [''];
      const update = await h.gql(as(ada), UPDATE, { id: a.id, input: { fileIds: [processing, eveFile] } });
      expect(update.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fileId: eveFile, reason: 'UNKNOWN' });
      expect((await h.collections.assistants.findById(a.id))?.version).toBe(1);

      // An ADMIN adding files adds the owner's: the admin's own are unknown to this assistant.
      const admin = someone('admin');
      const adminFile = await file(admin, 'processed');
      const byAdmin = await h.gql(as(admin, 'ADMIN'), UPDATE, { id: a.id, input: { fileIds: [adminFile] } });
      expect(byAdmin.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fileId: adminFile, reason: 'UNKNOWN' });
      const [first] = mine;
      expect(ok<View>(await h.gql(as(admin, 'ADMIN'), UPDATE, { id: a.id, input: { fileIds: mine } }), 'updateAssistant').fileIds).toEqual(
        mine,
      );

      // A file deleted later leaves the list; the rest of it can still be edited.
      await publishFile(h, ada, first ?? '', 'deleted');
      await eventually(
        () => knowledge().findById(first ?? ''),
        (doc) => doc?.status === 'DELETED',
        h.tries,
      );
      const shown = ok<View>(await h.gql(as(ada), GET, { id: a.id }), 'assistant');
      expect(shown.fileIds).toEqual(mine.filter((id) => id !== first));
      const kept = ok<View>(await h.gql(as(ada), UPDATE, { id: a.id, input: { fileIds: mine, name: 'Renamed' } }), 'updateAssistant');
      expect(kept.name).toBe('Renamed');
      // Its files as File references: its owner's to see, nobody else's.
      const FILES = 'query($id: ID!) { assistant(id: $id) { files { id } } }';
      const files = ok<{ files: Array<{ id: string }> }>(await h.gql(as(ada), FILES, { id: a.id }), 'assistant');
      expect(files.files.map((f) => f.id)).toEqual(mine.filter((id) => id !== first));
      ok(await h.gql(as(ada), SHARE, { id: a.id, visibility: 'PUBLIC' }), 'shareAssistant');
      expect(ok<{ files: unknown[] }>(await h.gql(as(eve), FILES, { id: a.id }), 'assistant').files).toEqual([]);
    });

    it('checks the model against ai-gateway’s published catalog once one was seen: unknown or non-chat models refused, nothing written', async () => {
      const ada = someone('ada');
      // Before any catalog (a fresh deployment), any well-formed model is taken.
      const early = await create(ada, { model: 'not-published-yet' });
      const event = aiCatalogV1.create(
        'catalog.published',
        { catalogId: MODEL_CATALOG_ID },
        {
          models: [
            { id: 'local-demo', contextWindow: 8192, capabilities: ['chat'] },
            { id: 'embed-only', contextWindow: 8192, capabilities: ['embeddings'] },
          ],
        },
      );
      await h.bus.publish(aiCatalogV1.topic, [{ key: MODEL_CATALOG_ID, event }]);
      await eventually(
        () => h.store.collection(modelCatalogSpec).findById(MODEL_CATALOG_ID),
        (doc) => doc !== null,
        h.tries,
      );
      expectCode(await h.gql(as(ada), UPDATE, { id: early.id, input: { model: 'no-such-model' } }), 'BAD_USER_INPUT');
      for (const model of ['no-such-model', 'embed-only']) {
        const res = await h.gql(as(ada), CREATE, { input: { ...INPUT, fileIds: [], model } });
        expect([model, res.errors?.[0]?.extensions]).toMatchObject([model, { code: 'BAD_USER_INPUT', field: 'model' }]);
      }
      expect(await h.collections.assistants.count({ ownerId: ada })).toBe(1);
      expect((await h.collections.assistants.findById(early.id))?.version).toBe(1);
      expect((await create(ada, { model: 'local-demo' })).model).toBe('local-demo');
    });
  });
}
