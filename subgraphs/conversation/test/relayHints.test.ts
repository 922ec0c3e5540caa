import { PENDING_OUTBOX } from '@chatgraph/kit/events';
import { eventually, ok, send, startConversation, userPrincipal, type Harness } from './harness';

/**
 * conversation's writes name the documents they gave events, so the outbox relay fetches those by
 * key instead of scanning every collection (on FerretDB a scan reads the whole collection: under
 * a flood of sendMessage, one scan per message). With the relay's own polls and scans pushed out
 * of the way, every event of these writes is published and no scan beyond the start-up one runs.
 */
describe('conversation wakes the outbox relay with the documents it wrote', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startConversation({ relayPollMs: 600_000, relayScanIntervalMs: 600_000 });
  });
  afterAll(() => h.dispose());

  const scans = (): number => [...h.relayScans.values()].reduce((sum, n) => sum + n, 0);
  const pending = async (): Promise<number> =>
    (await h.collections.messages.count(PENDING_OUTBOX)) + (await h.collections.conversations.count(PENDING_OUTBOX));

  it('publishes what sendMessage, updateConversation and setFeedback wrote without scanning', async () => {
    // The start-up scan (one per collection) has run.
    await eventually(scans, (n) => n >= 2);
    const atStart = scans();
    const ada = userPrincipal('ada-relay');

    const first = await send(h, ada, { content: 'A new conversation' });
    await send(h, ada, { content: 'And another one' });
    ok(
      await h.gql(ada, 'mutation($id: ID!) { updateConversation(id: $id, input: { title: "Renamed" }) { id } }', {
        id: first.conversation.id,
      }),
      'updateConversation',
    );
    ok(
      await h.gql(ada, 'mutation($id: ID!) { setFeedback(messageId: $id, rating: THUMBS_UP) { id } }', { id: first.assistantMessage.id }),
      'setFeedback',
    );

    expect(await eventually(pending, (n) => n === 0)).toBe(0);
    expect(scans()).toBe(atStart);
  });
});
