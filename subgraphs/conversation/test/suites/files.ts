import { newId } from '@chatgraph/kit';
import { aiGenerationV1, fileFileV1, type EventEnvelope, type FileEvent, type FilePurpose } from '@chatgraph/schema';
import { attachableFilesSpec, type AttachableFileDoc } from '../../src/attachableFiles';
import {
  answer,
  codeOf,
  collectEvents,
  eventually,
  ok,
  send,
  TURN_FIELDS,
  userPrincipal,
  type Harness,
  type SentTurn,
  type Target,
} from '../harness';

type Stage = 'uploaded' | 'processed' | 'failed' | 'deleted';

/**
 * Conversation suite: the files read model (`file.file.v1`) and the refusal of files that cannot
 * be attached. Runs on any `Target` (embedded or FerretDB + Kafka).
 */
export function describeFiles(target: Target): void {
  const ada = userPrincipal('user-ada');
  let h: Harness;
  let generations: Array<{ topic: string; key: string; event: EventEnvelope }>;

  beforeAll(async () => {
    h = await target.start();
    generations = await collectEvents(h, [aiGenerationV1.topic]);
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  const files = () => h.store.collection(attachableFilesSpec);

  /** One event of the file's life, as the file service publishes it (`at` orders them). */
  function fileEvent(stage: Stage, fileId: string, ownerId: string, at: Date, purpose: FilePurpose = 'MESSAGE_ATTACHMENT'): FileEvent {
    const subject = { fileId, ownerId };
    const options = { occurredAt: at };
    const named = { filename: `${fileId}.pdf`, mimeType: 'application/pdf', bytes: 2048, purpose };
    switch (stage) {
      case 'uploaded':
        return fileFileV1.create('file.uploaded', subject, { ...named, sha256: 'a'.repeat(64) }, options);
      case 'processed':
        return fileFileV1.create(
          'file.processed',
          subject,
          { ...named, text: 'Quarterly figures', textTruncated: false, pages: 2, chunkCount: 1 },
          options,
        );
      case 'failed':
        return fileFileV1.create('file.failed', subject, { code: 'CORRUPT', reason: 'the PDF has no cross-reference table' }, options);
      case 'deleted':
        return fileFileV1.create('file.deleted', subject, {}, options);
    }
  }

  /** Publishes events (each under `key`, its file id unless given: one key, one partition, in order). */
  async function publish(events: FileEvent[], key?: string): Promise<void> {
    await h.bus.publish(
      fileFileV1.topic,
      events.map((event) => ({ key: key ?? event.subject.fileId, event })),
    );
  }

  /**
   * Waits until every event published so far under `key` was handled: events of one key are
   * handled in order, so once a sentinel file's upload published under the same key is stored,
   * the events before it were handled too (applied, or ignored as older).
   */
  async function settle(key: string): Promise<void> {
    const sentinel = `sentinel-${newId()}`;
    await publish([fileEvent('uploaded', sentinel, 'nobody', new Date())], key);
    const seen = await eventually(
      () => files().findById(sentinel),
      (doc) => doc !== null,
      target.tries,
    );
    if (!seen) throw new Error('the sentinel file event was not consumed');
  }

  /** A file of `ownerId` taken through `stages` (one second apart), stored in the read model. */
  async function fileThrough(ownerId: string, stages: Stage[], purpose?: FilePurpose): Promise<string> {
    const fileId = `file-${newId()}`;
    const start = Date.now() - 60_000;
    await publish(stages.map((stage, i) => fileEvent(stage, fileId, ownerId, new Date(start + i * 1000), purpose)));
    await settle(fileId);
    return fileId;
  }

  const counts = async () => ({
    conversations: await h.collections.conversations.count({}),
    messages: await h.collections.messages.count({}),
  });

  /** sendMessage (new and existing conversation) and editMessage, each with `fileIds`. */
  async function attemptsWith(fileIds: string[], existing: SentTurn) {
    return [
      await h.gql(ada, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`, {
        input: { content: 'new conversation', fileIds },
      }),
      await h.gql(ada, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`, {
        input: { conversationId: existing.conversation.id, content: 'next', fileIds },
      }),
      await h.gql(ada, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
        input: { messageId: existing.userMessage.id, content: 'edited', fileIds },
      }),
    ];
  }

  const requestFor = async (assistantMessageId: string) => {
    const found = await eventually(
      async () => {
        await h.conversation.relay.drain();
        return generations.find((e) => e.event.type === 'generation.requested' && e.event.subject.messageId === assistantMessageId);
      },
      (e) => e !== undefined,
      target.tries,
    );
    if (!found) throw new Error(`no generation.requested for ${assistantMessageId}`);
    return found.event.payload as { messages: Array<{ role: string; content: string; fileIds?: string[] }> };
  };

  describe('attaching files', () => {
    it.each<[string, () => Promise<string>, string, RegExp]>([
      ['an unknown file', async () => `file-${newId()}`, 'UNKNOWN', /is unknown/],
      [
        "another user's READY file (called unknown: ids never reveal existence)",
        () => fileThrough('user-bob', ['uploaded', 'processed']),
        'UNKNOWN',
        /is unknown/,
      ],
      ['a file still being processed', () => fileThrough('user-ada', ['uploaded']), 'NOT_READY', /still being processed/],
      [
        'a file whose processing failed',
        () => fileThrough('user-ada', ['uploaded', 'failed']),
        'FAILED',
        /could not be processed \(CORRUPT\)/,
      ],
      ['a deleted file', () => fileThrough('user-ada', ['uploaded', 'processed', 'deleted']), 'DELETED', /was deleted/],
      ['an avatar', () => fileThrough('user-ada', ['uploaded', 'processed'], 'AVATAR'), 'NOT_AN_ATTACHMENT', /not as a MESSAGE_ATTACHMENT/],
    ])('refuses %s with BAD_USER_INPUT naming the id and why, and writes nothing', async (_label, make, reason, message) => {
      const ready = await fileThrough('user-ada', ['uploaded', 'processed']);
      const refused = await make();
      const existing = await send(h, ada, { content: 'Start' });
      await answer(h, 'user-ada', existing, 'Ok');
      const before = await counts();
      // The refused id after a good one: the check names the one that fails.
      for (const res of await attemptsWith([ready, refused], existing)) {
        expect(codeOf(res)).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0]?.extensions).toMatchObject({ field: 'fileIds', fileId: refused, reason });
        expect(res.errors?.[0]?.message).toMatch(message);
        expect(res.errors?.[0]?.message).toContain(refused);
      }
      expect(await counts()).toEqual(before);
    });

    it("accepts the caller's READY attachment, stores it on the message and forwards its id in generation.requested", async () => {
      const ready = await fileThrough('user-ada', ['uploaded', 'processed']);
      const turn = await send(h, ada, { content: 'Summarise this', fileIds: [ready] });
      expect((await h.collections.messages.findById(turn.userMessage.id))?.fileIds).toEqual([ready]);
      expect((await requestFor(turn.assistantMessage.id)).messages).toEqual([
        { role: 'USER', content: 'Summarise this', fileIds: [ready] },
      ]);
      const edited = ok<SentTurn>(
        await h.gql(ada, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN_FIELDS} } }`, {
          input: { messageId: turn.userMessage.id, content: 'Summarise it shorter', fileIds: [ready] },
        }),
        'editMessage',
      );
      expect((await requestFor(edited.assistantMessage.id)).messages[0]?.fileIds).toEqual([ready]);
    });
  });

  describe('the files read model', () => {
    it('keeps a tombstone that arrived first: the late upload and processing never bring the file back', async () => {
      const fileId = `file-${newId()}`;
      const start = Date.now() - 60_000;
      await publish([fileEvent('deleted', fileId, 'user-ada', new Date(start + 3000))]);
      await settle(fileId);
      await publish([
        fileEvent('uploaded', fileId, 'user-ada', new Date(start)),
        fileEvent('processed', fileId, 'user-ada', new Date(start + 1000)),
      ]);
      await settle(fileId);
      expect(await files().findById(fileId)).toMatchObject({ status: 'DELETED', filename: null });
      const refused = await h.gql(ada, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { streamId } }', {
        input: { content: 'hi', fileIds: [fileId] },
      });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fileId, reason: 'DELETED' });
    });

    it('applies a redelivered event once and keeps READY over a late, older upload event', async () => {
      const fileId = `file-${newId()}`;
      const start = Date.now() - 60_000;
      const uploaded = fileEvent('uploaded', fileId, 'user-ada', new Date(start));
      const processed = fileEvent('processed', fileId, 'user-ada', new Date(start + 1000));
      // In order, then both again (a redelivery after a crash), the upload last.
      await publish([uploaded, processed, processed, uploaded]);
      await settle(fileId);
      const stored = await files().findById(fileId);
      expect(stored).toMatchObject<Partial<AttachableFileDoc>>({
        status: 'READY',
        ownerId: 'user-ada',
        filename: `${fileId}.pdf`,
        mimeType: 'application/pdf',
      });
      await send(h, ada, { content: 'Read it', fileIds: [fileId] });
      // A failure report for a processed file keeps the name it was uploaded with.
      await publish([fileEvent('failed', fileId, 'user-ada', new Date(start + 2000))]);
      await settle(fileId);
      expect(await files().findById(fileId)).toMatchObject({ status: 'FAILED', failureCode: 'CORRUPT', filename: `${fileId}.pdf` });
    });
  });
}
