import { conversationShareV1, fileFileV1, type EventEnvelope } from '@chatgraph/schema';
import { attachableFilesSpec } from '../src/attachableFiles';
import { ANON, answer, collectEvents, eventually, ok, send, startConversation, userPrincipal, type Harness } from './harness';

const ada = userPrincipal('user-ada');

/**
 * `conversation.share.v1`: a share and a revocation each publish one event from the share's
 * outbox, naming the snapshot's files (file keeps its read model of shares from them), and the
 * snapshot's messages carry their file ids.
 */
describe('share events', () => {
  let h: Harness;
  let events: Array<{ topic: string; key: string; event: EventEnvelope }>;

  beforeAll(async () => {
    h = await startConversation();
    events = await collectEvents(h, [conversationShareV1.topic]);
    const ready = ['file-a', 'file-b'];
    await h.bus.publish(
      fileFileV1.topic,
      ready.map((fileId) => ({
        key: fileId,
        event: fileFileV1.create(
          'file.processed',
          { fileId, ownerId: 'user-ada' },
          {
            filename: `${fileId}.txt`,
            mimeType: 'text/plain',
            bytes: 5,
            purpose: 'MESSAGE_ATTACHMENT',
            text: 'hello',
            textTruncated: false,
            chunkCount: 1,
          },
        ),
      })),
    );
    const files = h.store.collection(attachableFilesSpec);
    await eventually(
      () => files.count({ _id: { $in: ready }, status: 'READY' }),
      (n) => n === ready.length,
    );
  }, 30_000);
  afterAll(() => h?.dispose());

  const shareEvents = async (shareId: string, count: number) =>
    eventually(
      async () => {
        await h.conversation.relay.drain();
        return events.filter((e) => e.event.subject.shareId === shareId);
      },
      (found) => found.length >= count,
    );

  it('share.created names the snapshot files once each; share.revoked ends it, once', async () => {
    const first = await send(h, ada, { content: 'two files', fileIds: ['file-a', 'file-b'] });
    await answer(h, 'user-ada', first, 'seen');
    await send(h, ada, { conversationId: first.conversation.id, content: 'again', fileIds: ['file-b'] });
    const { shareId } = ok<{ shareId: string }>(
      await h.gql(ada, 'mutation($id: ID!) { shareConversation(id: $id) { shareId } }', { id: first.conversation.id }),
      'shareConversation',
    );

    const created = await shareEvents(shareId, 1);
    expect(created.map((e) => [e.key, e.event.type, e.event.subject, e.event.payload])).toEqual([
      [
        first.conversation.id,
        'share.created',
        { conversationId: first.conversation.id, shareId, ownerId: 'user-ada' },
        { fileIds: ['file-a', 'file-b'] },
      ],
    ]);
    const read = ok<{ messages: Array<{ id: string; role: string; fileIds: string[] }> }>(
      await h.gql(ANON, 'query($s: ID!) { sharedConversation(shareId: $s) { messages { id role fileIds } } }', { s: shareId }),
      'sharedConversation',
    );
    expect(read.messages.map((m) => [m.id, m.role, m.fileIds])).toEqual([
      [`${shareId}:0`, 'USER', ['file-a', 'file-b']],
      [`${shareId}:1`, 'ASSISTANT', []],
      [`${shareId}:2`, 'USER', ['file-b']],
      [`${shareId}:3`, 'ASSISTANT', []],
    ]);

    const revoke = 'mutation($s: ID!) { revokeShare(shareId: $s) { revoked } }';
    expect(ok<{ revoked: boolean }>(await h.gql(ada, revoke, { s: shareId }), 'revokeShare').revoked).toBe(true);
    expect(ok<{ revoked: boolean }>(await h.gql(ada, revoke, { s: shareId }), 'revokeShare').revoked).toBe(false);
    const all = await shareEvents(shareId, 2);
    await h.conversation.relay.drain();
    expect(events.filter((e) => e.event.subject.shareId === shareId).map((e) => e.event.type)).toEqual(['share.created', 'share.revoked']);
    expect(all[1]?.event.payload).toEqual({ reason: 'revoked' });
  });
});
