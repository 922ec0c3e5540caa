import type { Target } from '@chatgraph/test-support';
import {
  ANON,
  aMessage,
  assistantMessage,
  codeOf,
  conversationEvent,
  eventually,
  fileChunked,
  fileDeleted,
  messageDeleted,
  userDeleted,
  userMessage,
  userPrincipal,
  type Harness,
} from '../harness';

interface Page {
  edges: Array<{
    cursor: string;
    node: {
      kind: string;
      highlight: string;
      score: number;
      message: { id: string } | null;
      conversation: { id: string } | null;
      file: { id: string } | null;
    };
  }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

const SEARCH = `query($q: String!, $mode: SearchMode, $first: Int, $after: String, $last: Int, $before: String, $kinds: [SearchKind!], $filter: SearchFilter) {
  search(query: $q, mode: $mode, first: $first, after: $after, last: $last, before: $before, kinds: $kinds, filter: $filter) {
    edges { cursor node { kind highlight score message { id } conversation { id } file { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}`;

/** The indexing consumer and `search` of one search instance, on the target's adapters. */
export function describeSearch(name: string, target: Target<Harness>): void {
  describe(name, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await target.start();
    }, target.hookTimeout);
    afterAll(() => h.dispose());

    async function search(userId: string, q: string, vars: Record<string, unknown> = {}) {
      return h.gql<{ search: Page }>(userPrincipal(userId), SEARCH, { q, mode: 'KEYWORD', ...vars });
    }
    async function ids(userId: string, q: string): Promise<string[]> {
      const res = await search(userId, q);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      return (res.data?.search.edges ?? []).map((e) => e.node.message?.id ?? '').sort();
    }
    /** Polls until `userId`'s hits for `q` are exactly `expected` (asynchronous indexing), and asserts it. */
    async function until(userId: string, q: string, expected: string[]): Promise<void> {
      const sorted = [...expected].sort();
      const found = await eventually(
        () => ids(userId, q),
        (value) => JSON.stringify(value) === JSON.stringify(sorted),
        h.tries,
      );
      expect({ userId, q, found }).toEqual({ userId, q, found: sorted });
    }

    it('indexes finished messages per owner: overlapping words never cross owners, unfinished text is never found', async () => {
      const ada = `ada-${Date.now()}`;
      const bob = `bob-${Date.now()}`;
      const adaQ = aMessage(ada);
      const adaA = aMessage(ada, adaQ.conversationId);
      const bobQ = aMessage(bob);
      const bobPending = aMessage(bob, bobQ.conversationId);
      const bobFailed = aMessage(bob, bobQ.conversationId);
      await userMessage(h, adaQ, 'How do I bake sourdough bread?');
      await assistantMessage(h, adaA, { status: 'COMPLETE', content: 'Sourdough bread needs a lively starter.' });
      await userMessage(h, bobQ, 'Is rye bread healthier than sourdough?');
      await assistantMessage(h, bobPending);
      await assistantMessage(h, bobFailed, { status: 'FAILED', content: 'sourdough partial answer' });

      await until(ada, 'sourdough', [adaQ.messageId, adaA.messageId]);
      await until(bob, 'sourdough', [bobQ.messageId]);
      expect(await ids(ada, 'rye')).toEqual([]);
      expect(await ids(bob, 'starter')).toEqual([]);

      const res = await search(ada, 'starter');
      expect(res.data?.search.edges[0]?.node).toMatchObject({ kind: 'MESSAGE', message: { id: adaA.messageId } });
      expect(res.data?.search.edges[0]?.node.highlight).toContain('<mark>starter</mark>');
    });

    it('a redelivered event indexes once; message.deleted removes; user.deleted removes everything of the user', async () => {
      const cy = `cy-${Date.now()}`;
      const m1 = aMessage(cy);
      const m2 = aMessage(cy);
      await userMessage(h, m1, 'quantum tunnelling explained');
      await userMessage(h, m1, 'quantum tunnelling explained');
      await userMessage(h, m2, 'quantum entanglement explained');
      await until(cy, 'quantum', [m1.messageId, m2.messageId]);

      await messageDeleted(h, m1);
      await until(cy, 'quantum', [m2.messageId]);
      await userDeleted(h, cy);
      await until(cy, 'quantum', []);
    });

    it('pages with cursors within the owner only', async () => {
      const dee = `dee-${Date.now()}`;
      const eve = `eve-${Date.now()}`;
      const mine = [aMessage(dee), aMessage(dee), aMessage(dee)];
      for (const m of mine) await userMessage(h, m, 'galaxy clusters and dark matter');
      const other = aMessage(eve);
      await userMessage(h, other, 'galaxy clusters and dark matter');
      await until(eve, 'galaxy', [other.messageId]);
      await until(
        dee,
        'galaxy',
        mine.map((m) => m.messageId),
      );

      const seen: string[] = [];
      const totals: number[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page += 1) {
        const res = await search(dee, 'galaxy', { first: 2, after });
        expect(res.errors).toBeUndefined();
        totals.push(res.data?.search.totalCount ?? -1);
        seen.push(...(res.data?.search.edges ?? []).map((e) => e.node.message?.id ?? ''));
        after = res.data?.search.pageInfo.endCursor ?? null;
        if (!res.data?.search.pageInfo.hasNextPage) break;
      }
      expect(seen.sort()).toEqual(mine.map((m) => m.messageId).sort());
      // The whole search's count on every page, the other owner's identical message not in it.
      expect(totals).toEqual([3, 3]);
    });

    it('query-syntax characters and unicode are plain text; refusals are coded, never INTERNAL', async () => {
      const fay = `fay-${Date.now()}`;
      const m = aMessage(fay);
      await userMessage(h, m, 'Über café naïve résumé: "quoted" (parens) title:colon 東京 tower');
      await until(fay, 'tower', [m.messageId]);
      for (const q of ['"quoted', 'title:colon', '(parens', 'tower*', 'tower~2 AND OR NOT', '東京', 'café', '\\ / [ ] { } ^ tower']) {
        const res = await search(fay, q);
        expect({ q, errors: res.errors }).toEqual({ q, errors: undefined });
      }
      expect(await ids(fay, '東京')).toEqual([m.messageId]);

      expect(codeOf(await h.gql(ANON, SEARCH, { q: 'tower', mode: 'KEYWORD' }))).toBe('UNAUTHENTICATED');
      expect(codeOf(await search(fay, 'x'.repeat(10_000)))).toBe('BAD_USER_INPUT');
      expect(codeOf(await search(fay, '"*():~'))).toBe('BAD_USER_INPUT');
      expect(codeOf(await search(fay, 'tower', { first: 0 }))).toBe('BAD_USER_INPUT');
      expect(codeOf(await search(fay, 'tower', { first: 101 }))).toBe('BAD_USER_INPUT');
      expect(codeOf(await search(fay, 'tower', { after: 'not-a-cursor' }))).toBe('BAD_USER_INPUT');
    });

    it('SEMANTIC and HYBRID (the default) find near spellings KEYWORD misses, within the owner only', async () => {
      const hal = `hal-${Date.now()}`;
      const ivy = `ivy-${Date.now()}`;
      const mine = aMessage(hal);
      const unrelated = aMessage(hal);
      const theirs = aMessage(ivy);
      await userMessage(h, mine, 'Photosynthesis converts sunlight into chemical energy');
      await userMessage(h, unrelated, 'Knitting a woollen scarf');
      await userMessage(h, theirs, 'Photosynthesis converts sunlight into chemical energy');
      await until(hal, 'photosynthesis', [mine.messageId]);
      await until(ivy, 'photosynthesis', [theirs.messageId]);

      // A typo: no term matches, but most character trigrams do.
      expect(await ids(hal, 'photosynthesys')).toEqual([]);
      for (const mode of ['SEMANTIC', 'HYBRID', null]) {
        const res = await search(hal, 'photosynthesys', { mode });
        expect(res.errors).toBeUndefined();
        const found = (res.data?.search.edges ?? []).map((e) => e.node.message?.id);
        expect({ mode, best: found[0] }).toEqual({ mode, best: mine.messageId });
        expect(found).not.toContain(theirs.messageId);
      }
    });

    it('filters by conversation, role and time inside the engine query, in every mode', async () => {
      const jo = `jo-${Date.now()}`;
      const question = aMessage(jo);
      const answer = aMessage(jo, question.conversationId);
      const elsewhere = aMessage(jo);
      await userMessage(h, question, 'volcano eruption forecast');
      await assistantMessage(h, answer, { status: 'COMPLETE', content: 'A volcano eruption is hard to forecast.' });
      await userMessage(h, elsewhere, 'volcano eruption history');
      await until(jo, 'volcano', [question.messageId, answer.messageId, elsewhere.messageId]);

      const found = async (filter: Record<string, unknown>, mode = 'KEYWORD'): Promise<string[]> => {
        const res = await search(jo, 'volcano eruption', { filter, mode });
        expect(res.errors).toBeUndefined();
        return (res.data?.search.edges ?? []).map((e) => e.node.message?.id ?? '').sort();
      };
      for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
        expect(await found({ conversationIds: [question.conversationId] }, mode)).toEqual([question.messageId, answer.messageId].sort());
        expect(await found({ roles: ['ASSISTANT'] }, mode)).toEqual([answer.messageId]);
        expect(await found({ from: new Date(Date.now() + 60_000).toISOString() }, mode)).toEqual([]);
      }
      expect(await found({ to: new Date(Date.now() + 60_000).toISOString(), roles: ['USER'] })).toEqual(
        [question.messageId, elsewhere.messageId].sort(),
      );

      const now = new Date().toISOString();
      expect(codeOf(await search(jo, 'volcano', { filter: { from: now, to: now } }))).toBe('BAD_USER_INPUT');
      const many = Array.from({ length: 101 }, (_, i) => `c${i}`);
      expect(codeOf(await search(jo, 'volcano', { filter: { conversationIds: many } }))).toBe('BAD_USER_INPUT');
      expect(codeOf(await search(jo, 'volcano', { filter: { from: 'yesterday' } }))).toBe('BAD_USER_INPUT');
    });

    it('indexes conversation titles: found as CONVERSATION hits, renamed, removed with the conversation; FILE finds nothing', async () => {
      const lu = `lu-${Date.now()}`;
      const subject = { conversationId: aMessage(lu).conversationId, ownerId: lu };
      const message = aMessage(lu, subject.conversationId);
      await conversationEvent(h, subject, { created: 'Tidal energy notes' });
      await userMessage(h, message, 'How much tidal energy does a lagoon give?');
      const titles = async (q: string): Promise<string[]> => {
        const res = await search(lu, q, { kinds: ['CONVERSATION'] });
        expect(res.errors).toBeUndefined();
        return (res.data?.search.edges ?? []).map((e) => `${e.node.kind}:${e.node.conversation?.id ?? ''}`);
      };
      const found = await eventually(
        () => titles('tidal'),
        (value) => value.length === 1,
        h.tries,
      );
      expect(found).toEqual([`CONVERSATION:${subject.conversationId}`]);
      // Both kinds by default; a role filter leaves conversations out.
      await until(lu, 'tidal', [message.messageId, '']);
      const roles = await search(lu, 'tidal', { filter: { roles: ['USER'] } });
      expect(roles.data?.search.edges.map((e) => e.node.kind)).toEqual(['MESSAGE']);

      await conversationEvent(h, subject, { updated: { pinned: true } });
      await conversationEvent(h, subject, { updated: { title: 'Wave power' } });
      const renamed = await eventually(
        () => titles('wave'),
        (value) => value.length === 1,
        h.tries,
      );
      expect(renamed).toEqual([`CONVERSATION:${subject.conversationId}`]);
      expect(await titles('tidal')).toEqual([]);

      expect((await search(lu, 'wave', { kinds: ['FILE'] })).data?.search.edges).toEqual([]);
      await conversationEvent(h, subject, 'deleted');
      const gone = await eventually(
        () => titles('wave'),
        (value) => value.length === 0,
        h.tries,
      );
      expect(gone).toEqual([]);
    });

    it('indexes file chunks as FILE hits of their owner, filters by file inside the query, forgets a deleted file', async () => {
      const kim = `kim-${Date.now()}`;
      const leo = `leo-${Date.now()}`;
      const manual = { fileId: `f-manual-${Date.now()}`, ownerId: kim };
      const recipe = { fileId: `f-recipe-${Date.now()}`, ownerId: kim };
      const theirs = { fileId: `f-theirs-${Date.now()}`, ownerId: leo };
      const message = aMessage(kim);
      // Three chunks in two batches (events), as file sends a long document.
      await fileChunked(
        h,
        manual,
        ['Replace the lighthouse lamp every spring.', 'Unrelated preface text.', 'The lighthouse keeper logs storms.'],
        2,
      );
      await fileChunked(h, recipe, ['Lighthouse cake: a tall sponge with a red stripe.']);
      await fileChunked(h, theirs, ['Their lighthouse chunk.']);
      await userMessage(h, message, 'A lighthouse question');

      const hits = async (userId: string, vars: Record<string, unknown> = {}): Promise<string[]> => {
        const res = await search(userId, 'lighthouse', vars);
        expect(res.errors).toBeUndefined();
        return (res.data?.search.edges ?? []).map((e) => `${e.node.kind}:${e.node.file?.id ?? e.node.message?.id ?? ''}`).sort();
      };
      const all = [`FILE:${manual.fileId}`, `FILE:${manual.fileId}`, `FILE:${recipe.fileId}`, `MESSAGE:${message.messageId}`].sort();
      const found = await eventually(
        () => hits(kim),
        (value) => value.length === all.length,
        h.tries,
      );
      expect(found).toEqual(all);
      // Another file, another key: its partition may be consumed a little later.
      const leos = await eventually(
        () => hits(leo),
        (value) => value.length === 1,
        h.tries,
      );
      expect(leos).toEqual([`FILE:${theirs.fileId}`]);

      const onlyFiles = await search(kim, 'keeper', { kinds: ['FILE'] });
      expect(onlyFiles.data?.search.edges.map((e) => e.node)).toEqual([
        expect.objectContaining({ kind: 'FILE', file: { id: manual.fileId }, message: null, conversation: null }),
      ]);
      expect(onlyFiles.data?.search.edges[0]?.node.highlight).toBe('The lighthouse <mark>keeper</mark> logs storms.');

      // The file filter is part of the engine query: in every mode, only that file's chunks (messages have no file).
      for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
        expect({ mode, hits: await hits(kim, { mode, filter: { fileIds: [recipe.fileId] } }) }).toEqual({
          mode,
          hits: [`FILE:${recipe.fileId}`],
        });
        // Another owner's file id finds nothing of theirs.
        expect({ mode, hits: await hits(kim, { mode, filter: { fileIds: [theirs.fileId] } }) }).toEqual({ mode, hits: [] });
      }
      const many = Array.from({ length: 101 }, (_, i) => `f${i}`);
      expect(codeOf(await search(kim, 'lighthouse', { filter: { fileIds: many } }))).toBe('BAD_USER_INPUT');

      await fileDeleted(h, manual);
      const after = await eventually(
        () => hits(kim),
        (value) => value.length === 2,
        h.tries,
      );
      expect(after).toEqual([`FILE:${recipe.fileId}`, `MESSAGE:${message.messageId}`].sort());
      expect(await hits(leo)).toEqual([`FILE:${theirs.fileId}`]);
    });

    it("filters by conversation tags inside the engine (any tag, the owner's only); tag and title changes propagate", async () => {
      const mo = `mo-${Date.now()}`;
      const ned = `ned-${Date.now()}`;
      const work = { conversationId: aMessage(mo).conversationId, ownerId: mo };
      const home = { conversationId: aMessage(mo).conversationId, ownerId: mo };
      const plain = { conversationId: aMessage(mo).conversationId, ownerId: mo };
      const theirs = { conversationId: aMessage(ned).conversationId, ownerId: ned };
      const inWork = aMessage(mo, work.conversationId);
      const inHome = aMessage(mo, home.conversationId);
      const inPlain = aMessage(mo, plain.conversationId);
      const inTheirs = aMessage(ned, theirs.conversationId);
      const file = { fileId: `f-budget-${Date.now()}`, ownerId: mo };
      for (const [subject, title] of [
        [work, 'Budget at work'],
        [home, 'Budget at home'],
        [plain, 'Budget untagged'],
        [theirs, 'Budget of theirs'],
      ] as const)
        await conversationEvent(h, subject, { created: title });
      await userMessage(h, inWork, 'the quarterly budget review');
      await userMessage(h, inHome, 'the household budget review');
      await userMessage(h, inPlain, 'a budget review without tags');
      await userMessage(h, inTheirs, 'their budget review');
      await fileChunked(h, file, ['A budget spreadsheet chunk.']);
      await conversationEvent(h, work, { updated: { tags: ['work', 'q3-plan'] } });
      await conversationEvent(h, home, { updated: { tags: ['home'] } });
      await conversationEvent(h, theirs, { updated: { tags: ['work'] } });

      const tagged = async (userId: string, tags: string[], vars: Record<string, unknown> = {}): Promise<string[]> => {
        const res = await search(userId, 'budget', { ...vars, filter: { ...((vars.filter as object | undefined) ?? {}), tags } });
        expect(res.errors).toBeUndefined();
        return (res.data?.search.edges ?? [])
          .map((e) => `${e.node.kind}:${e.node.message?.id ?? e.node.conversation?.id ?? e.node.file?.id ?? ''}`)
          .sort();
      };
      const workHits = [`CONVERSATION:${work.conversationId}`, `MESSAGE:${inWork.messageId}`].sort();
      const settle = (userId: string, tags: string[], expected: string[]) =>
        eventually(
          () => tagged(userId, tags),
          (value) => JSON.stringify(value) === JSON.stringify(expected),
          h.tries,
        );
      expect(await settle(mo, ['work'], workHits)).toEqual(workHits);
      // In every mode; any of the tags; never the other owner's conversation with the same tag; files have no tags.
      for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
        expect({ mode, hits: await tagged(mo, ['work'], { mode }) }).toEqual({ mode, hits: workHits });
        expect({ mode, hits: await tagged(mo, ['work', 'home'], { mode }) }).toEqual({
          mode,
          hits: [...workHits, `CONVERSATION:${home.conversationId}`, `MESSAGE:${inHome.messageId}`].sort(),
        });
      }
      expect(await settle(ned, ['work'], [`CONVERSATION:${theirs.conversationId}`, `MESSAGE:${inTheirs.messageId}`].sort())).toEqual(
        [`CONVERSATION:${theirs.conversationId}`, `MESSAGE:${inTheirs.messageId}`].sort(),
      );
      expect(await tagged(mo, ['nosuchtag'])).toEqual([]);
      // Tags and conversations narrow together.
      expect(await tagged(mo, ['work'], { filter: { conversationIds: [home.conversationId] } })).toEqual([]);
      // A tag's words find the conversation.
      const byTagWord = await search(mo, 'q3', { kinds: ['CONVERSATION'] });
      expect(byTagWord.data?.search.edges.map((e) => e.node.conversation?.id)).toEqual([work.conversationId]);

      // Tags move; a title change keeps them; a message indexed after the tag change is found by it.
      await conversationEvent(h, work, { updated: { tags: ['archive'] } });
      await conversationEvent(h, home, { updated: { tags: ['work'] } });
      await conversationEvent(h, work, { updated: { title: 'Budget renamed' } });
      const later = aMessage(mo, home.conversationId);
      await userMessage(h, later, 'a later budget note');
      const moved = [`CONVERSATION:${home.conversationId}`, `MESSAGE:${inHome.messageId}`, `MESSAGE:${later.messageId}`].sort();
      expect(await settle(mo, ['work'], moved)).toEqual(moved);
      expect(await settle(mo, ['archive'], workHits)).toEqual(workHits);
      // The rename is another conversation's event than the tag moves above (another partition, maybe later).
      const renamed = await eventually(
        async () =>
          (await search(mo, 'renamed', { kinds: ['CONVERSATION'], filter: { tags: ['archive'] } })).data?.search.edges.map(
            (e) => e.node.conversation?.id,
          ),
        (value) => value?.length === 1,
        h.tries,
      );
      expect(renamed).toEqual([work.conversationId]);
      // Untagging leaves the filter nothing of that conversation.
      await conversationEvent(h, work, { updated: { tags: [] } });
      expect(await settle(mo, ['archive'], [])).toEqual([]);

      const many = Array.from({ length: 21 }, (_, i) => `t${i}`);
      expect(codeOf(await search(mo, 'budget', { filter: { tags: many } }))).toBe('BAD_USER_INPUT');
    });

    it('pages backward (last/before) through the same hits as forward, in every mode; cursors are bound to their owner', async () => {
      const ola = `ola-${Date.now()}`;
      const pat = `pat-${Date.now()}`;
      const texts = [
        'nebula',
        'nebula nebula gas',
        'a nebula of dust and gas clouds',
        'nebula',
        'the crab nebula in taurus',
        'nebula nebula nebula',
        'planetary nebula remnants',
      ];
      const mine = texts.map(() => aMessage(ola));
      for (const [i, m] of mine.entries()) await userMessage(h, m, texts[i] ?? '');
      const other = aMessage(pat);
      await userMessage(h, other, 'nebula');
      await until(
        ola,
        'nebula',
        mine.map((m) => m.messageId),
      );
      await until(pat, 'nebula', [other.messageId]);

      for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
        const page = async (vars: Record<string, unknown>, userId = ola): Promise<Page> => {
          const res = await search(userId, 'nebula', { mode, ...vars });
          expect({ mode, vars, errors: res.errors }).toEqual({ mode, vars, errors: undefined });
          return res.data?.search as Page;
        };
        const idsOf = (p: Page): string[] => p.edges.map((e) => e.node.message?.id ?? '');
        const whole = idsOf(await page({ first: 100 }));
        expect({ mode, count: whole.length }).toEqual({ mode, count: mine.length });

        const forward: string[] = [];
        const flags: Array<[boolean, boolean]> = [];
        let after: string | null = null;
        for (let n = 0; n < 10; n += 1) {
          const p: Page = await page({ first: 3, after });
          forward.push(...idsOf(p));
          flags.push([p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage]);
          expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor);
          expect(p.pageInfo.endCursor).toBe(p.edges[p.edges.length - 1]?.cursor);
          if (!p.pageInfo.hasNextPage) break;
          after = p.pageInfo.endCursor;
        }
        expect({ mode, forward }).toEqual({ mode, forward: whole });
        expect({ mode, flags }).toEqual({
          mode,
          flags: [
            [false, true],
            [true, true],
            [true, false],
          ],
        });

        const backward: string[] = [];
        const backFlags: Array<[boolean, boolean]> = [];
        let before: string | null = null;
        for (let n = 0; n < 10; n += 1) {
          const p: Page = await page(before ? { last: 3, before } : { last: 3 });
          backward.push(...idsOf(p).reverse());
          backFlags.push([p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage]);
          if (!p.pageInfo.hasPreviousPage) break;
          before = p.pageInfo.startCursor;
        }
        // Pages of 3 from the end: hits 5-7, 2-4, then 1; read backwards, the forward list reversed.
        expect({ mode, backward }).toEqual({ mode, backward: [...whole].reverse() });
        expect({ mode, backFlags }).toEqual({
          mode,
          backFlags: [
            [true, false],
            [true, true],
            [false, true],
          ],
        });

        // Another user's cursor is refused, forwards and backwards; so are mixed directions.
        const cursor = (await page({ first: 2 })).pageInfo.endCursor;
        expect(codeOf(await search(pat, 'nebula', { mode, first: 2, after: cursor }))).toBe('BAD_USER_INPUT');
        expect(codeOf(await search(pat, 'nebula', { mode, last: 2, before: cursor }))).toBe('BAD_USER_INPUT');
        expect(codeOf(await search(ola, 'nebula', { mode, first: 2, before: cursor }))).toBe('BAD_USER_INPUT');
        expect(codeOf(await search(ola, 'nebula', { mode, last: 2, after: cursor }))).toBe('BAD_USER_INPUT');
        expect(codeOf(await search(ola, 'nebula', { mode, last: 0 }))).toBe('BAD_USER_INPUT');
      }
    });
  });
}
