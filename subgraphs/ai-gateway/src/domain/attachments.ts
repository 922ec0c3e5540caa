import type { AttachedFileDoc, AttachedFiles } from '../attachedFiles';
import type { DeploymentRegistry } from '../deployments';
import type { AttachmentSummary, ChatContentPart, ChatMessage } from '../providers/types';

/**
 * What a model is shown of the files attached to user messages (`generation.requested` carries
 * their ids per message). Files come from the read model of `file.file.v1` (attachedFiles.ts),
 * only those whose owner is the request's owner:
 * - a document: its extracted text, in a block naming the file, within a budget of the model's
 *   context window shared by every document of the request (newest message first), cut with a
 *   marker saying how much is shown;
 * - an image: an OpenAI `image_url` part (the data URL the file service prepared) when the model's
 *   catalog entry has the `vision` capability, otherwise a note that an image was attached which
 *   this model cannot see;
 * - a file that is missing, deleted, not processed or someone else's: a note naming its id as
 *   unavailable, so the model (and the user) know something was left out — never a silent drop.
 * A message without images stays plain text (some OpenAI-compatible servers take no parts).
 */

/** Characters per token of the budget estimate (conversation trims history with the same one). */
const CHARS_PER_TOKEN = 4;
/** Tokens of the window the documents always leave for the answer (conversation's default reply reserve). */
export const ATTACHMENT_REPLY_ROOM_TOKENS = 1024;

/** One message of the request, with the ids of the files attached to it. */
export interface RequestMessage {
  role: ChatMessage['role'];
  content: string;
  fileIds?: readonly string[];
}

/** How a request's attachments are given to its model. */
export interface AttachmentOptions {
  /** The model's catalog entry has the `vision` capability. */
  vision: boolean;
  /** Tokens all documents' text may take together. */
  budgetTokens: number;
}

/**
 * Tokens the documents of one request may take: `percent` of the model's window, and never more
 * than the history (`estimatedPromptTokens`) leaves free after the reply room.
 */
export function attachmentBudget(contextWindow: number, estimatedPromptTokens: number, percent: number): number {
  const share = Math.floor((contextWindow * percent) / 100);
  return Math.max(0, Math.min(share, contextWindow - estimatedPromptTokens - ATTACHMENT_REPLY_ROOM_TOKENS));
}

const quoted = (name: string | null): string => JSON.stringify(name ?? 'unnamed');
const isImage = (file: AttachedFileDoc): boolean => file.image !== null || (file.mimeType ?? '').startsWith('image/');
const text = (value: string): ChatContentPart => ({ type: 'text', text: value });

/** `(application/pdf, 3 pages)` / `(image/png, 800x600)`. */
function factsOf(file: AttachedFileDoc): string {
  const facts = [file.mimeType ?? 'unknown type'];
  if (file.pages !== null) facts.push(`${file.pages} page${file.pages === 1 ? '' : 's'}`);
  if (file.image) facts.push(`${file.image.width}x${file.image.height}`);
  return `(${facts.join(', ')})`;
}

/** A document's text block, cut to `room` characters (which it then consumes). */
function documentBlock(file: AttachedFileDoc, room: number): { block: string; used: number } {
  const name = quoted(file.filename);
  const header = `[Attached file ${name} ${factsOf(file)}]`;
  if (file.text.length === 0) return { block: `${header}\n(no text could be extracted from it)`, used: 0 };
  if (room <= 0) return { block: `${header}\n[its text is left out: the context budget for attached files is used up]`, used: 0 };
  const shown = Math.min(room, file.text.length);
  const lines = [header, file.text.slice(0, shown)];
  if (shown < file.text.length)
    lines.push(`[... ${name} is cut here to fit the context: ${shown} of ${file.text.length} characters shown]`);
  else if (file.textTruncated) lines.push(`[... the extracted text of ${name} ends here; the file itself is longer]`);
  lines.push(`[End of ${name}]`);
  return { block: lines.join('\n'), used: shown };
}

/** Adjacent text parts joined; a message without images becomes plain text again. */
function merged(parts: ChatContentPart[]): string | ChatContentPart[] {
  const out: ChatContentPart[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (part.type === 'text' && last?.type === 'text') out[out.length - 1] = text(`${last.text}\n\n${part.text}`);
    else out.push(part);
  }
  const only = out[0];
  return out.length === 1 && only?.type === 'text' ? only.text : out;
}

/** The request's messages with their attachments (see the module comment); `files` are the owner's available ones. */
export function withAttachments(
  messages: readonly RequestMessage[],
  files: ReadonlyMap<string, AttachedFileDoc>,
  options: AttachmentOptions,
): ChatMessage[] {
  let room = options.budgetTokens * CHARS_PER_TOKEN;
  const out: ChatMessage[] = messages.map((m) => ({ role: m.role, content: m.content }));
  // Newest message first: the files the question is about get the budget before older ones.
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (!message || message.role !== 'user' || !message.fileIds?.length) continue;
    const parts: ChatContentPart[] = [text(message.content)];
    const summaries: AttachmentSummary[] = [];
    for (const fileId of message.fileIds) {
      const file = files.get(fileId);
      if (!file) {
        parts.push(text(`[Attached file ${fileId}: unavailable (deleted, not processed, or not this user's), so it is left out]`));
        summaries.push({ fileId, filename: null, mimeType: null, given: 'unavailable' });
        continue;
      }
      const summary = {
        fileId,
        filename: file.filename,
        mimeType: file.mimeType,
        ...(file.pages !== null ? { pages: file.pages } : {}),
        ...(file.image ? { image: { width: file.image.width, height: file.image.height } } : {}),
      };
      if (!isImage(file)) {
        const { block, used } = documentBlock(file, room);
        room -= used;
        parts.push(text(block));
        summaries.push({ ...summary, given: 'text' });
      } else if (options.vision && file.image?.visionDataUrl) {
        parts.push(text(`[Attached image ${quoted(file.filename)} ${factsOf(file)}]`), {
          type: 'image_url',
          image_url: { url: file.image.visionDataUrl },
        });
        summaries.push({ ...summary, given: 'image' });
      } else {
        const why = options.vision ? 'it was not prepared for vision models' : 'this model cannot see images';
        parts.push(text(`[Attached image ${quoted(file.filename)} ${factsOf(file)}: ${why}, so only its name is given]`));
        summaries.push({ ...summary, given: 'note' });
      }
    }
    out[i] = { role: 'user', content: merged(parts), attachments: { userText: message.content, files: summaries } };
  }
  return out;
}

/** One generation's request, as far as attachments are concerned. */
export interface AttachmentRequest {
  ownerId: string;
  model: string;
  messages: readonly RequestMessage[];
  estimatedPromptTokens: number;
  signal: AbortSignal;
}

export interface AttachmentResolverDeps {
  files: AttachedFiles;
  registry: DeploymentRegistry;
  /** ATTACHMENT_CONTEXT_PERCENT. */
  contextPercent: number;
  /** ATTACHMENT_WAIT_MS: how long a file this read model has not heard of yet is waited for. */
  waitMs: number;
  /** Between two looks while waiting (default 100 ms). */
  pollMs?: number;
}

/**
 * Resolves a request's attachments from the read model. A file conversation accepted is READY, but
 * this read model consumes the same `file.processed` on its own and may not have it yet: a file
 * it has never heard of is waited for up to `waitMs` (in the generation, never in the consumer)
 * before it is called unavailable.
 */
export class AttachmentResolver {
  constructor(private readonly deps: AttachmentResolverDeps) {}

  /** The request's messages for the provider, with the unavailable file ids (for the log). */
  async messagesFor(request: AttachmentRequest): Promise<{ messages: ChatMessage[]; unavailable: string[] }> {
    const ids = [...new Set(request.messages.flatMap((m) => (m.role === 'user' ? (m.fileIds ?? []) : [])))];
    if (ids.length === 0) return { messages: request.messages.map((m) => ({ role: m.role, content: m.content })), unavailable: [] };
    await this.waitUntilKnown(ids, request.signal);
    const files = await this.deps.files.ownedBy(request.ownerId, ids);
    const model = this.deps.registry.model(request.model);
    const options = {
      vision: model?.capabilities.includes('vision') ?? false,
      budgetTokens: model ? attachmentBudget(model.contextWindow, request.estimatedPromptTokens, this.deps.contextPercent) : 0,
    };
    return { messages: withAttachments(request.messages, files, options), unavailable: ids.filter((id) => !files.has(id)) };
  }

  private async waitUntilKnown(ids: readonly string[], signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.deps.waitMs;
    while ((await this.deps.files.unknown(ids)).length > 0 && Date.now() < deadline && !signal.aborted)
      await new Promise((resolve) => setTimeout(resolve, this.deps.pollMs ?? 100));
  }
}
