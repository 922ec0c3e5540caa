import type { Logger } from '@chatgraph/kit';
import type { KvStore, StreamEntry } from '@chatgraph/kit/kv';
import { decodeTokenStreamEntry, tokenStreamMetaKey, type TokenStreamMeta } from '@chatgraph/schema';

/** What streaming knows of a generation before serving it: enough to check ownership. */
export interface StreamOwnership {
  ownerId: string;
  messageId: string;
  conversationId: string;
  model: string;
  /** `running` when only the `start` entry was seen (the meta was not written yet). */
  state: TokenStreamMeta['state'];
  startedAt: string;
}

/** The meta of a generation, or `undefined` when missing or unreadable (logged). */
export async function readMeta(kv: KvStore, streamId: string, log: Logger): Promise<TokenStreamMeta | undefined> {
  const raw = await kv.get(tokenStreamMetaKey(streamId));
  if (raw === null) return undefined;
  try {
    const meta = JSON.parse(raw) as Partial<TokenStreamMeta> | null;
    if (
      meta &&
      typeof meta.ownerId === 'string' &&
      typeof meta.messageId === 'string' &&
      (meta.state === 'running' || meta.state === 'done')
    )
      return meta as TokenStreamMeta;
  } catch {
    // reported below
  }
  log.error({ streamId }, 'token stream meta is not a TokenStreamMeta; ignoring it');
  return undefined;
}

/** The ownership a meta states. */
export const fromMeta = (meta: TokenStreamMeta): StreamOwnership => ({
  ownerId: meta.ownerId,
  messageId: meta.messageId,
  conversationId: meta.conversationId,
  model: meta.model,
  state: meta.state,
  startedAt: meta.startedAt,
});

/** The ownership a stream's head proves: its `start` entry, or `undefined` (logged) for anything else. */
export function fromHead(head: StreamEntry, streamId: string, log: Logger): StreamOwnership | undefined {
  let entry;
  try {
    entry = decodeTokenStreamEntry(head.fields);
  } catch (error) {
    log.error({ streamId, seq: head.seq, err: error }, 'token stream head is not a valid entry; refusing it');
    return undefined;
  }
  if (entry.type !== 'start') {
    log.warn({ streamId, seq: head.seq, type: entry.type }, 'token stream has neither a meta nor a start entry; refusing it');
    return undefined;
  }
  // The meta (with the real start time) is written with the start entry; until it is, "now" is close.
  return {
    ownerId: entry.ownerId,
    messageId: entry.messageId,
    conversationId: entry.conversationId,
    model: entry.model,
    state: 'running',
    startedAt: new Date().toISOString(),
  };
}
