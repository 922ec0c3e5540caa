/**
 * The embedded engine across a restart: the consumer's offsets are committed, so the events are
 * not replayed; the index must come back from its snapshot and journal in `<DATA_DIR>/search`.
 */
import { rm } from 'node:fs/promises';
import { aMessage, eventually, startSearch, userMessage, userPrincipal, type Harness } from './harness';

const SEARCH = 'query($q: String!) { search(query: $q, mode: KEYWORD) { edges { node { message { id } } } } }';

async function ids(h: Harness, userId: string, q: string): Promise<string[]> {
  const res = await h.gql<{ search: { edges: Array<{ node: { message: { id: string } | null } }> } }>(userPrincipal(userId), SEARCH, { q });
  return (res.data?.search.edges ?? []).map((e) => e.node.message?.id ?? '');
}

it('finds what it indexed before a graceful restart, without the events being replayed', async () => {
  const first = await startSearch();
  const m = aMessage('kay');
  await userMessage(first, m, 'lighthouse keeper logbook');
  const before = await eventually(
    () => ids(first, 'kay', 'lighthouse'),
    (found) => found.length === 1,
  );
  expect(before).toEqual([m.messageId]);
  await first.stop();

  const second = await startSearch({}, first.dataDir);
  try {
    expect(await ids(second, 'kay', 'lighthouse')).toEqual([m.messageId]);
  } finally {
    await second.stop();
    await rm(first.dataDir, { recursive: true, force: true });
  }
});
