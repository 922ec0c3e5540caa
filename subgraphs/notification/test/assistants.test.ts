import { assistantAssistantV1, type AssistantState, type EventEnvelope } from '@chatgraph/schema';
import { newId } from '@chatgraph/kit';
import { eventually, startNotification, type Harness } from './harness';

function state(version: number, visibility: AssistantState['visibility'], sharedWith: string[], name = 'Helper'): AssistantState {
  return {
    version,
    name,
    instructions: '',
    model: 'local-demo',
    temperature: null,
    topP: null,
    tools: [],
    fileIds: [],
    visibility,
    sharedWith,
  };
}

function change(assistantId: string, ownerId: string, payload: AssistantState, occurredAt?: Date): EventEnvelope {
  const type = payload.version === 1 ? 'assistant.created' : 'assistant.updated';
  return assistantAssistantV1.create(type, { assistantId, ownerId }, payload, occurredAt ? { occurredAt } : undefined);
}

/** Publishes on assistant.assistant.v1 keyed by assistant, as assistant does (again: a redelivery). */
async function publish(h: Harness, event: EventEnvelope): Promise<void> {
  await h.bus.publish(assistantAssistantV1.topic, [{ key: event.subject.assistantId ?? '', event }]);
}

/** Waits until the read model holds `version` of the assistant: that event and those before it were handled. */
async function handled(h: Harness, assistantId: string, version: number): Promise<void> {
  await eventually(
    () => h.collections.assistantShares.findById(assistantId),
    (doc) => doc !== null && doc.version >= version,
    h.tries,
  );
}

const sharedTo = async (h: Harness, assistantId: string): Promise<string[]> =>
  (await h.collections.notifications.find({ kind: 'ASSISTANT_SHARED', assistantId })).map((doc) => doc.userId).sort();

describe('ASSISTANT_SHARED notifications', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startNotification();
  });
  afterAll(() => h.dispose());

  it('tells each user newly on the share list once, never the owner, not again on later updates', async () => {
    const id = newId();
    await publish(h, change(id, 'owner', state(1, 'PRIVATE', [])));
    await publish(h, change(id, 'owner', state(2, 'SHARED', ['u1', 'owner'])));
    await publish(h, change(id, 'owner', state(3, 'SHARED', ['u1'], 'Helper v3')));
    await publish(h, change(id, 'owner', state(4, 'SHARED', ['u1', 'u2'], 'Helper v4')));
    await handled(h, id, 4);
    expect(await sharedTo(h, id)).toEqual(['u1', 'u2']);
    const [first] = await h.collections.notifications.find({ userId: 'u1', assistantId: id });
    expect(first).toMatchObject({ kind: 'ASSISTANT_SHARED', title: 'An assistant was shared with you', body: 'Helper', read: false });
    expect((await h.collections.notifications.find({ userId: 'u2', assistantId: id }))[0]?.body).toBe('Helper v4');
  });

  it('a redelivery creates nothing, also after a crash before the read model moved on', async () => {
    const id = newId();
    const shared = change(id, 'owner', state(1, 'SHARED', ['r1']));
    await publish(h, shared);
    await publish(h, shared);
    await handled(h, id, 1);
    // As if the read model had not been written before a crash: the redelivery recomputes the same share.
    await h.collections.assistantShares.deleteOne({ _id: id });
    await publish(h, shared);
    await handled(h, id, 1);
    expect(await sharedTo(h, id)).toEqual(['r1']);
  });

  it('someone removed (or the assistant made private) and shared again is told again; a stale event is ignored', async () => {
    const id = newId();
    await publish(h, change(id, 'owner', state(1, 'SHARED', ['a1'])));
    const old = change(id, 'owner', state(2, 'SHARED', ['a1', 'late']));
    await publish(h, change(id, 'owner', state(3, 'PRIVATE', [])));
    await publish(h, old); // older than what was seen: changes nothing
    await publish(h, change(id, 'owner', state(4, 'SHARED', ['a1'])));
    await handled(h, id, 4);
    expect(await sharedTo(h, id)).toEqual(['a1', 'a1']);
  });

  it('a deleted assistant forgets its list; a share from long ago (a history replayed) is not announced', async () => {
    const id = newId();
    await publish(h, change(id, 'owner', state(1, 'SHARED', ['d1'])));
    await publish(h, assistantAssistantV1.create('assistant.deleted', { assistantId: id, ownerId: 'owner' }, { version: 2 }));
    await publish(h, change(id, 'owner', state(2, 'SHARED', ['d1', 'd2']))); // late: the tombstone's version wins
    await handled(h, id, 2);
    expect(await h.collections.assistantShares.findById(id)).toMatchObject({ version: 2, sharedWith: [] });
    expect(await sharedTo(h, id)).toEqual(['d1']);

    const ancient = newId();
    await publish(h, change(ancient, 'owner', state(1, 'SHARED', ['o1']), new Date(Date.now() - 3 * 24 * 3_600_000)));
    await handled(h, ancient, 1);
    expect(await sharedTo(h, ancient)).toEqual([]);
    expect((await h.collections.assistantShares.findById(ancient))?.sharedWith).toEqual(['o1']);
  });
});
