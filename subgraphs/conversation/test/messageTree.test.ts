import { MessageTree } from '../src/messageTree';
import type { MessageDoc } from '../src/store';

let clock = 0;
function message(id: string, parentId: string | null): MessageDoc {
  const at = new Date(Date.UTC(2025, 0, 1, 0, 0, clock++));
  return {
    _id: id,
    conversationId: 'c',
    ownerId: 'u',
    parentId,
    role: 'USER',
    content: id,
    status: 'COMPLETE',
    streamId: null,
    model: null,
    tokenCount: null,
    finishReason: null,
    feedback: null,
    depth: 0,
    createdAt: at,
    updatedAt: at,
  };
}

describe('MessageTree', () => {
  // r -> a -> (b1 -> c1), (b2 -> c2 -> d2)
  const tree = new MessageTree(
    [
      message('r', null),
      message('a', 'r'),
      message('b1', 'a'),
      message('c1', 'b1'),
      message('b2', 'a'),
      message('c2', 'b2'),
      message('d2', 'c2'),
    ].reverse(),
  );

  it('walks root -> leaf and lists children oldest first', () => {
    expect(tree.pathTo('c1').map((m) => m._id)).toEqual(['r', 'a', 'b1', 'c1']);
    expect(tree.children('a').map((m) => m._id)).toEqual(['b1', 'b2']);
    expect(tree.pathTo('missing')).toEqual([]);
  });

  it('finds the newest leaf under a message and the newest message overall', () => {
    expect(tree.newestLeafUnder('a')?._id).toBe('d2');
    expect(tree.newestLeafUnder('b1')?._id).toBe('c1');
    expect(tree.newest()?._id).toBe('d2');
  });

  it('stops on a corrupt cycle instead of looping', () => {
    const cyclic = new MessageTree([message('x', 'y'), message('y', 'x')]);
    expect(cyclic.pathTo('x').map((m) => m._id)).toEqual(['y', 'x']);
  });
});
