import { conversationShareV1 } from '@chatgraph/schema';
import { ANON, eventually, startFile, userPrincipal, type Harness } from './harness';

const ada = userPrincipal('ada');
const eve = userPrincipal('eve');

const ENTITIES =
  'query($r: [_Any!]!) { _entities(representations: $r) { ... on SharedMessage { files { id filename bytes downloadUrl } } } }';
type Entities = { _entities: Array<{ files: Array<{ id: string; filename: string; bytes: number; downloadUrl: string }> } | null> };

/**
 * The read model of conversation's shares (`shareGrants`, from `conversation.share.v1`) and what
 * `SharedMessage.files` shows from it: only files the active share lists and its owner owns.
 */
describe('file: shares of conversations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startFile();
  });
  afterAll(() => h.dispose());

  const publish = (type: 'share.created' | 'share.revoked', shareId: string, fileIds: string[] = []) =>
    h.bus.publish(conversationShareV1.topic, [
      {
        key: 'c1',
        event:
          type === 'share.created'
            ? conversationShareV1.create(type, { conversationId: 'c1', shareId, ownerId: 'ada' }, { fileIds })
            : conversationShareV1.create(type, { conversationId: 'c1', shareId, ownerId: 'ada' }, { reason: 'revoked' }),
      },
    ]);

  async function readyFile(principal = ada, text = 'hello'): Promise<string> {
    const { id, target } = await h.ticket(principal, { filename: 'f.txt', mimeType: 'text/plain', bytes: text.length });
    expect((await h.bytes('PUT', target, { body: text })).status).toBe(201);
    await eventually(
      () => h.collections.files.findById(id),
      (d) => d?.status === 'READY',
      h.tries,
    );
    return id;
  }

  const filesOf = async (shareId: string, fileIds: string[]) => {
    const res = await h.gql<Entities>(ANON, ENTITIES, { r: [{ __typename: 'SharedMessage', id: `${shareId}:0`, shareId, fileIds }] });
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data._entities[0]?.files ?? [];
  };

  it('lists only the files the active share names and its owner owns; a revoked share stays revoked when its creation comes again', async () => {
    const shared = await readyFile(ada, 'shared');
    const other = await readyFile(ada, 'other');
    const eves = await readyFile(eve, 'eve');
    // The share names Ada's file and (as if conversation had let it through) Eve's.
    await publish('share.created', 's1', [shared, eves]);
    await eventually(
      () => h.collections.shareGrants.findById('s1'),
      (g) => g !== null,
      h.tries,
    );
    // Asked for everything: only Ada's listed file comes back, with a link bound to the share.
    const files = await filesOf('s1', [shared, other, eves, 'unknown']);
    expect(files.map((f) => f.id)).toEqual([shared]);
    expect(new URL(files[0]?.downloadUrl ?? '').searchParams.get('share')).toEqual(expect.any(String));
    expect(await filesOf('unknown-share', [shared])).toEqual([]);

    await publish('share.revoked', 's1');
    // The creation delivered again after the revocation, then a marker on the same key (handled in order).
    await publish('share.created', 's1', [shared]);
    await publish('share.created', 's2', [other]);
    await eventually(
      () => h.collections.shareGrants.findById('s2'),
      (g) => g !== null,
      h.tries,
    );
    expect(await h.collections.shareGrants.findById('s1')).toMatchObject({ revoked: true, fileIds: [shared, eves] });
    expect(await filesOf('s1', [shared])).toEqual([]);
    expect((await filesOf('s2', [other])).map((f) => f.id)).toEqual([other]);
  });
});
