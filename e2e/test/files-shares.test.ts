/**
 * Files of a shared conversation, through the router of the one-process stack: whoever holds a
 * share downloads the files attached to its snapshot with links bound to the share (file keeps a
 * read model of conversation's `conversation.share.v1`), never any other file, and not after the
 * share is revoked or the file deleted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { Capabilities } from '@chatgraph/file';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { filesClient, type FilesClient } from './files-client';

let stack: EmbeddedStack;
let dataDir: string;
let client: FilesClient;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-file-shares-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
  client = filesClient(stack.url);
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface SharedFile {
  id: string;
  filename: string;
  mimeType: string;
  bytes: number;
  downloadUrl: string;
}
type Shared = { sharedConversation: { messages: Array<{ id: string; role: string; fileIds: string[]; files: SharedFile[] }> } | null };
const SHARED =
  'query($id: ID!) { sharedConversation(shareId: $id) { messages { id role fileIds files { id filename mimeType bytes downloadUrl } } } }';

const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 25));

/** Sends a message with files (retried while conversation has not yet seen them READY) and shares the conversation. */
async function shareWithFiles(token: string, fileIds: string[]): Promise<string> {
  type Sent = { sendMessage: { conversation: { id: string } } };
  const send = () =>
    client.gql<Sent>(token, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { conversation { id } } }', {
      input: { content: 'Look at these', fileIds },
    });
  let sent = await send();
  for (let i = 0; i < 200 && ['NOT_READY', 'UNKNOWN'].includes(String(sent.errors?.[0]?.extensions?.reason)); i++) {
    await pause();
    sent = await send();
  }
  if (!sent.data) throw new Error(`sendMessage failed: ${JSON.stringify(sent.errors)}`);
  const shared = await client.gql<{ shareConversation: { shareId: string } }>(
    token,
    'mutation($id: ID!) { shareConversation(id: $id) { shareId } }',
    { id: sent.data.sendMessage.conversation.id },
  );
  if (!shared.data) throw new Error(`shareConversation failed: ${JSON.stringify(shared.errors)}`);
  return shared.data.shareConversation.shareId;
}

/** The files of a share as an anonymous reader sees them, once file's read model has the share (bounded polling). */
async function sharedFiles(shareId: string, expected: number): Promise<SharedFile[]> {
  let files: SharedFile[] = [];
  for (let i = 0; i < 400 && files.length < expected; i++) {
    if (i > 0) await pause();
    const res = await client.gql<Shared>(undefined, SHARED, { id: shareId });
    files = res.data?.sharedConversation?.messages.flatMap((m) => m.files) ?? [];
  }
  return files;
}

/** Polls a download until it answers other than 200 (the read model learns a revocation asynchronously). */
async function refusedEventually(url: string): Promise<Response> {
  let res = await fetch(url);
  for (let i = 0; i < 400 && res.status === 200; i++) {
    await res.arrayBuffer();
    await pause();
    res = await fetch(url);
  }
  return res;
}

const codeOf = async (res: Response): Promise<unknown> => ((await res.json()) as { error?: { code?: string } }).error?.code;

describe('files of a shared conversation (through the router)', () => {
  it('whoever holds the share downloads its files with share-bound links; nothing else, and nothing once revoked or deleted', async () => {
    const ada = await client.register('Ada');
    const notes = Buffer.from('shared notes\n'.repeat(20));
    const notesId = await client.uploadReady(ada.token, 'notes.txt', 'text/plain', notes);
    const draftId = await client.uploadReady(ada.token, 'draft.md', 'text/markdown', Buffer.from('# draft\n'));
    const privateId = await client.uploadReady(ada.token, 'private.txt', 'text/plain', Buffer.from('not shared\n'));
    const shareId = await shareWithFiles(ada.token, [notesId, draftId]);

    // Read without signing in: the snapshot's message names its files, with links bound to the share.
    const files = await sharedFiles(shareId, 2);
    expect(files.map(({ id, filename, mimeType, bytes }) => ({ id, filename, mimeType, bytes }))).toEqual([
      { id: notesId, filename: 'notes.txt', mimeType: 'text/plain', bytes: notes.length },
      { id: draftId, filename: 'draft.md', mimeType: 'text/markdown', bytes: 8 },
    ]);
    const notesUrl = files[0]?.downloadUrl ?? '';
    const draftUrl = files[1]?.downloadUrl ?? '';
    expect(new URL(notesUrl).searchParams.get('share')).toEqual(expect.any(String));
    expect(new URL(notesUrl).searchParams.get('token')).toBeNull();
    const whole = await fetch(notesUrl);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(notes)).toBe(true);
    const part = await fetch(notesUrl, { headers: { range: 'bytes=0-5' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('shared');

    // The share's link, pointed at another of Ada's files, opens nothing.
    const moved = new URL(notesUrl);
    moved.pathname = `/files/${privateId}/content`;
    const pointed = await fetch(moved);
    expect(pointed.status).toBe(403);
    // Even a genuine share link (minted with the stack's secret) for a file not in the snapshot is refused.
    const capabilities = new Capabilities(stack.signingSecret);
    const later = new Date(Date.now() + 60_000);
    const origin = new URL(stack.url).origin;
    const linkFor = (fileId: string, share: string): string =>
      `${origin}/files/${fileId}/content?share=${capabilities.issue('share', fileId, later, share)}`;
    const outside = await fetch(linkFor(privateId, shareId));
    expect(outside.status).toBe(403);
    expect(await codeOf(outside)).toBe('FORBIDDEN');
    // The owner's own link is no share link (and a share link no owner link).
    const ownerLink = new URL(await client.downloadUrl(ada.token, notesId));
    const asShare = await fetch(`${origin}/files/${notesId}/content?share=${ownerLink.searchParams.get('token') ?? ''}`);
    expect(asShare.status).toBe(403);
    const asOwner = await fetch(`${origin}/files/${notesId}/content?token=${new URL(notesUrl).searchParams.get('share') ?? ''}`);
    expect(asOwner.status).toBe(403);

    // Another user's share and Ada's file (or Ada's share and their file) never mix.
    const bob = await client.register('Bob');
    const bobFile = await client.uploadReady(bob.token, 'bob.txt', 'text/plain', Buffer.from("bob's\n"));
    const bobShare = await shareWithFiles(bob.token, [bobFile]);
    expect((await sharedFiles(bobShare, 1)).map((f) => f.id)).toEqual([bobFile]);
    expect((await fetch(linkFor(notesId, bobShare))).status).toBe(403);
    expect((await fetch(linkFor(bobFile, shareId))).status).toBe(403);

    // A deleted file is gone through the share too.
    const deleted = await client.gql<{ deleteFile: boolean }>(ada.token, 'mutation($id: ID!) { deleteFile(id: $id) }', { id: draftId });
    expect(deleted.data?.deleteFile).toBe(true);
    expect((await fetch(draftUrl)).status).toBe(404);
    expect((await sharedFiles(shareId, 1)).map((f) => f.id)).toEqual([notesId]);

    // Revoked: the link that worked is refused, and the share shows nothing.
    const revoked = await client.gql<{ revokeShare: { revoked: boolean } }>(
      ada.token,
      'mutation($id: ID!) { revokeShare(shareId: $id) { revoked } }',
      { id: shareId },
    );
    expect(revoked.data?.revokeShare.revoked).toBe(true);
    const refused = await refusedEventually(notesUrl);
    expect(refused.status).toBe(403);
    expect(await codeOf(refused)).toBe('FORBIDDEN');
    expect((await client.gql<Shared>(undefined, SHARED, { id: shareId })).data?.sharedConversation).toBeNull();
    // Bob's share is untouched.
    expect((await fetch((await sharedFiles(bobShare, 1))[0]?.downloadUrl ?? '')).status).toBe(200);
  });
});
