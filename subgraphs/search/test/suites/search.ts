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
    node: {
      kind: string;
      highlight: string;
      score: number;
      message: { id: string } | null;
      conversation: { id: string } | null;
      file: { id: string } | null;
    };
  }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

const SEARCH = `query($q: String!, $mode: SearchMode, $first: Int, $after: String, $kinds: [SearchKind!], $filter: SearchFilter) {
  search(query: $q, mode: $mode, first: $first, after: $after, kinds: $kinds, filter: $filter) {
    edges { node { kind highlight score message { id } conversation { id } file { id } } }
    pageInfo { hasNextPage endCursor }
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
  });
}
