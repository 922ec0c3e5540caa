import type { Client } from 'graphql-ws';
import { newId } from '@chatgraph/kit';
import { fileFileV1, identityUserV1, type EventEnvelope } from '@chatgraph/schema';
import { eventually, ok, startNotification, userPrincipal, wsClient, type Harness } from './harness';

/** A `file.processed` of `ownerId` (not published), as the file subgraph's contract builds it. */
function processed(ownerId: string, fileId = newId(), filename = 'report.pdf'): EventEnvelope {
  return fileFileV1.create(
    'file.processed',
    { fileId, ownerId },
    {
      filename,
      mimeType: 'application/pdf',
      bytes: 1234,
      purpose: 'MESSAGE_ATTACHMENT',
      text: 'Quarterly figures',
      textTruncated: false,
      chunkCount: 1,
    },
  );
}

function failed(ownerId: string, fileId = newId(), reason = 'The PDF is encrypted'): EventEnvelope {
  return fileFileV1.create('file.failed', { fileId, ownerId }, { code: 'CORRUPT', reason });
}

function deleted(ownerId: string, fileId: string): EventEnvelope {
  return fileFileV1.create('file.deleted', { fileId, ownerId }, {});
}

/** Publishes on file.file.v1, keyed by file as the file subgraph keys it (again: a redelivery). */
async function publish(h: Harness, event: EventEnvelope): Promise<void> {
  await h.bus.publish(fileFileV1.topic, [{ key: event.subject.fileId ?? '', event }]);
}

const LIST = 'query { notifications(first: 20) { edges { node { id kind title body file { id } conversation { id } message { id } } } } }';

interface Node {
  id: string;
  kind: string;
  title: string;
  body: string;
  file: { id: string } | null;
  conversation: { id: string } | null;
  message: { id: string } | null;
}

describe('notifications from files', () => {
  let h: Harness;
  const clients: Client[] = [];
  beforeAll(async () => {
    h = await startNotification();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await h.dispose();
  });

  const mine = async (userId: string): Promise<Node[]> =>
    ok<{ edges: Array<{ node: Node }> }>(await h.gql(userPrincipal(userId), LIST), 'notifications').edges.map((e) => e.node);

  it('FILE_READY and FILE_FAILED (with the reason) for the owner, once each, the file as a reference, announced live', async () => {
    const tab = wsClient(h, userPrincipal('fay'));
    clients.push(tab);
    const live: string[] = [];
    tab.subscribe<{ notificationReceived: { id: string; kind: string } }>(
      { query: 'subscription { notificationReceived { id kind } }' },
      { next: (r) => void (r.data && live.push(r.data.notificationReceived.kind)), error: () => undefined, complete: () => undefined },
    );
    await eventually(
      () => h.service.feeds.size,
      (n) => n === 1,
      h.tries,
    );
    const readyFile = newId();
    const brokenFile = newId();
    const ready = processed('fay', readyFile);
    const broken = failed('fay', brokenFile);
    await publish(h, ready);
    await publish(h, ready); // a redelivery: no second notification
    await publish(h, broken);
    await publish(h, broken);
    // Another user's file event (other key), and an event kind that notifies nothing.
    await publish(h, processed('gus'));
    await publish(
      h,
      fileFileV1.create(
        'file.uploaded',
        { fileId: readyFile, ownerId: 'fay' },
        {
          filename: 'report.pdf',
          mimeType: 'application/pdf',
          bytes: 1,
          sha256: 'a'.repeat(64),
          purpose: 'MESSAGE_ATTACHMENT',
        },
      ),
    );
    const nodes = await eventually(
      () => mine('fay'),
      (n) => n.length >= 2,
      h.tries,
    );
    // A marker on the same key as the redeliveries, consumed after them.
    const marker = processed('fay', brokenFile, 'retry.pdf');
    await publish(h, marker);
    const all = await eventually(
      () => mine('fay'),
      (n) => n.length === 3,
      h.tries,
    );
    expect(nodes).toHaveLength(2);
    expect(all.filter((n) => n.id !== `file:${marker.id}`).sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      {
        id: `file:${broken.id}`,
        kind: 'FILE_FAILED',
        title: 'Your file could not be processed',
        body: 'The PDF is encrypted',
        file: { id: brokenFile },
        conversation: null,
        message: null,
      },
      {
        id: `file:${ready.id}`,
        kind: 'FILE_READY',
        title: 'Your file is ready',
        body: 'report.pdf',
        file: { id: readyFile },
        conversation: null,
        message: null,
      },
    ]);
    await eventually(
      () => live.length,
      (n) => n === 3,
      h.tries,
    );
    expect([...live].sort()).toEqual(['FILE_FAILED', 'FILE_READY', 'FILE_READY']);
    expect(await mine('gus')).toHaveLength(1);
  });

  it('a deleted file loses its notifications; a deleted account gets none', async () => {
    const fileId = newId();
    await publish(h, failed('hal', fileId));
    await eventually(
      () => mine('hal'),
      (n) => n.length === 1,
      h.tries,
    );
    await publish(h, deleted('hal', fileId));
    const left = await eventually(
      () => mine('hal'),
      (n) => n.length === 0,
      h.tries,
    );
    expect(left).toEqual([]);

    const gone = identityUserV1.create('user.deleted', { userId: 'ivy' }, { by: 'ivy' });
    await h.bus.publish(identityUserV1.topic, [{ key: 'ivy', event: gone }]);
    await eventually(
      () => h.collections.deletedUsers.findById('ivy'),
      (d) => d !== null,
      h.tries,
    );
    const lateFile = newId();
    await publish(h, processed('ivy', lateFile));
    await publish(h, { ...processed('jon', lateFile) });
    await eventually(
      () => mine('jon'),
      (n) => n.length === 1,
      h.tries,
    );
    expect(await h.collections.notifications.count({ userId: 'ivy' })).toBe(0);
  });
});
