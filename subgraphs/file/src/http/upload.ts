import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Logger } from '@chatgraph/kit';
import type { BlobStore } from '@chatgraph/kit/blob';
import { notDeleted, updateWithOutbox } from '@chatgraph/kit/events';
import { CapabilityError, type Capabilities } from '../capabilities';
import { fileUploaded } from '../events';
import type { Sniffer } from '../sniff';
import { blobKeys, type FileCollections, type FileDoc } from '../store';
import { UploadGuard, UploadRefusedError } from '../uploadGuard';
import type { ByteLimits } from './limits';
import { sendOk, sendRateLimited, sendRefusal } from './replies';

export interface UploadDeps {
  collections: FileCollections;
  blobs: BlobStore;
  capabilities: Capabilities;
  sniffer: Sniffer;
  logger: Logger;
  now: () => Date;
  eventsQueued: () => void;
  limits: ByteLimits;
}

/** How a refused ticket is answered. */
const TICKET_REFUSALS: Record<CapabilityError['reason'], [number, string, string]> = {
  malformed: [400, 'BAD_USER_INPUT', 'The upload URL is malformed'],
  forged: [403, 'FORBIDDEN', 'The upload URL is not valid'],
  expired: [410, 'EXPIRED', 'The upload URL has expired: create a new upload'],
};

/** Multipart bodies: one file part, a few small fields at most. */
const MULTIPART_LIMITS = { files: 1, fields: 10, fieldSize: 1024, parts: 12, headerPairs: 50 };

/**
 * Receives one file's bytes on its upload ticket (`PUT` raw body, or `POST` multipart with one
 * file part): the ticket is claimed atomically in the store first (a second use is refused), the
 * bytes stream through the guard (size, type) into the blob store, and the file becomes
 * PROCESSING with its `file.uploaded` event in one store write. Any refusal leaves no bytes
 * behind and the file FAILED with the reason.
 */
export class Uploads {
  constructor(private readonly deps: UploadDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const { collections, now } = this.deps;
    let fileId: string;
    try {
      fileId = this.deps.capabilities.verify('upload', token, now()).fileId;
    } catch (error) {
      if (!(error instanceof CapabilityError)) throw error;
      const [status, code, message] = TICKET_REFUSALS[error.reason];
      return sendRefusal(res, status, code, message, req);
    }
    // Whose upload it is decides its limit, checked before the ticket is spent: a refused upload
    // may be sent again on the same URL once one of the owner's uploads has ended.
    const target = await collections.files.findOne({ _id: fileId, ...notDeleted });
    if (!target) return sendRefusal(res, 404, 'NOT_FOUND', 'The file of this upload URL was deleted', req);
    const refused = this.deps.limits.acquireUpload(target.ownerId);
    if (refused) return sendRateLimited(res, refused, req);
    try {
      await this.receive(req, res, fileId);
    } finally {
      this.deps.limits.releaseUpload(target.ownerId);
    }
  }

  /** Claims the ticket, then streams the bytes into the blob store (one of the owner's upload slots held). */
  private async receive(req: IncomingMessage, res: ServerResponse, fileId: string): Promise<void> {
    const { collections, now } = this.deps;
    const claimed = await collections.files.findOneAndUpdate(
      { _id: fileId, status: 'UPLOADING', ticketUsed: false, ...notDeleted },
      { $set: { ticketUsed: true, updatedAt: now() } },
      { returnDocument: 'after' },
    );
    if (!claimed) {
      const existing = await collections.files.findOne({ _id: fileId, ...notDeleted });
      return existing
        ? sendRefusal(res, 409, 'CONFLICT', 'This upload URL was already used: create a new upload', req)
        : sendRefusal(res, 404, 'NOT_FOUND', 'The file of this upload URL was deleted', req);
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > claimed.bytes && !isMultipart(req)) {
      await this.fail(claimed, 'The file is larger than announced');
      return sendRefusal(res, 413, 'PAYLOAD_TOO_LARGE', `The body is larger than the ${claimed.bytes} bytes announced`, req);
    }

    const guard = new UploadGuard(claimed.mimeType, claimed.bytes, this.deps.sniffer);
    try {
      const source = await bodyOf(req, claimed.bytes);
      source.on('error', (error: Error) => guard.destroy(error));
      // The client went away mid-body: fail the write (the store then drops what it had).
      req.on('close', () => {
        if (!req.complete) guard.destroy(new Error('the client closed the upload before its end'));
      });
      source.pipe(guard);
      const stored = await this.deps.blobs.put(blobKeys.original(claimed._id), guard, {
        contentType: claimed.mimeType,
        metadata: { ownerId: claimed.ownerId },
      });
      const result = await collections.files.updateOne(
        { _id: claimed._id, status: 'UPLOADING', ...notDeleted },
        updateWithOutbox({ $set: { status: 'PROCESSING', bytes: stored.bytes, sha256: stored.sha256, updatedAt: now() } }, [
          fileUploaded(claimed, { mimeType: claimed.mimeType, bytes: stored.bytes, sha256: stored.sha256 }),
        ]),
      );
      if (result.matchedCount === 0) {
        // Deleted while its bytes were arriving: keep nothing.
        await this.deps.blobs.delete(blobKeys.original(claimed._id));
        return sendRefusal(res, 404, 'NOT_FOUND', 'The file was deleted during its upload');
      }
      this.deps.eventsQueued();
      sendOk(res, 201, { id: claimed._id, status: 'PROCESSING', mimeType: claimed.mimeType, bytes: stored.bytes, sha256: stored.sha256 });
    } catch (error) {
      req.unpipe();
      if (error instanceof UploadRefusedError) {
        await this.fail(claimed, error.message);
        return sendRefusal(res, error.status, error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'UNSUPPORTED_MEDIA_TYPE', error.message, req);
      }
      if (error instanceof BadBodyError) {
        await this.fail(claimed, error.message);
        return sendRefusal(res, 400, 'BAD_USER_INPUT', error.message, req);
      }
      await this.fail(claimed, 'The upload was interrupted');
      this.deps.logger.warn({ err: error, fileId: claimed._id }, 'upload failed');
      return sendRefusal(res, 500, 'INTERNAL', 'The upload failed', req);
    }
  }

  /** The ticket is spent: the file ends FAILED (its bytes, if any, were dropped by the store). */
  private async fail(doc: FileDoc, reason: string): Promise<void> {
    await this.deps.collections.files.updateOne(
      { _id: doc._id, status: 'UPLOADING', ...notDeleted },
      { $set: { status: 'FAILED', failureReason: reason.slice(0, 500), updatedAt: this.deps.now() } },
    );
  }
}

class BadBodyError extends Error {}

function isMultipart(req: IncomingMessage): boolean {
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');
}

/** The bytes of the upload: the raw body, or the one file part of a multipart body. */
function bodyOf(req: IncomingMessage, maxBytes: number): Promise<Readable> {
  if (req.method === 'PUT') return Promise.resolve(req);
  if (!isMultipart(req))
    return Promise.reject(new BadBodyError('POST a multipart/form-data body with one file part (or PUT the raw bytes)'));
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // One byte past the announced size, so the guard sees the overflow and refuses it.
      parser = busboy({ headers: req.headers, limits: { ...MULTIPART_LIMITS, fileSize: maxBytes + 1 } });
    } catch (error) {
      reject(new BadBodyError(error instanceof Error ? error.message : 'malformed multipart body'));
      return;
    }
    let found = false;
    parser.on('file', (_name, stream) => {
      found = true;
      resolve(stream);
    });
    parser.on('error', (error: Error) => reject(new BadBodyError(`malformed multipart body: ${error.message}`)));
    parser.on('close', () => {
      if (!found) reject(new BadBodyError('the multipart body has no file part'));
    });
    req.pipe(parser);
  });
}
