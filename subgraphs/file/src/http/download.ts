import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '@chatgraph/kit';
import type { BlobStore } from '@chatgraph/kit/blob';
import { notDeleted } from '@chatgraph/kit/events';
import { CapabilityError, type Capabilities, type Capability } from '../capabilities';
import { isTextType } from '../sniff';
import { blobKeys, type FileCollections, type FileDoc } from '../store';
import { contentDisposition, INLINE_TYPES } from './contentDisposition';
import type { ByteLimits } from './limits';
import { parseRange } from './range';
import { sendRateLimited, sendRefusal } from './replies';

export interface DownloadDeps {
  collections: FileCollections;
  blobs: BlobStore;
  capabilities: Capabilities;
  logger: Logger;
  now: () => Date;
  limits: ByteLimits;
}

const LINK_REFUSALS: Record<CapabilityError['reason'], [number, string, string]> = {
  malformed: [400, 'BAD_USER_INPUT', 'The download URL is malformed'],
  forged: [403, 'FORBIDDEN', 'The download URL is not valid'],
  expired: [410, 'EXPIRED', 'The download URL has expired: ask for the file again'],
};

/**
 * Serves a file's bytes on a download link (`File.downloadUrl`, issued to the owner only,
 * `?token=`) or a share link (`SharedFile.downloadUrl`, `?share=`: only while the share is active
 * and only the sharer's files attached to its snapshot, from the read model of conversation's shares):
 * GET or HEAD, one `Range` (206, or 416 past the end), a safe `Content-Disposition` (raster
 * images inline, everything else as attachment), `nosniff` and a sandboxing CSP so a stored file
 * can never run as a page of the router's origin, and `Cache-Control: private`.
 */
export class Downloads {
  constructor(private readonly deps: DownloadDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, fileId: string, search: URLSearchParams): Promise<void> {
    const shareToken = search.get('share');
    let capability: Capability;
    try {
      capability =
        shareToken === null
          ? this.deps.capabilities.verify('download', search.get('token') ?? '', this.deps.now())
          : this.deps.capabilities.verify('share', shareToken, this.deps.now());
    } catch (error) {
      if (!(error instanceof CapabilityError)) throw error;
      const [status, code, message] = LINK_REFUSALS[error.reason];
      return sendRefusal(res, status, code, message);
    }
    // A link for one file never opens another.
    if (capability.fileId !== fileId) return sendRefusal(res, 403, 'FORBIDDEN', 'The download URL is not valid for this file');
    // Any file whose bytes were stored (sha256 set), processed or not (a file processing refused stays downloadable).
    const doc = await this.deps.collections.files.findOne({ _id: fileId, ...notDeleted, sha256: { $ne: null } });
    if (!doc) return sendRefusal(res, 404, 'NOT_FOUND', 'File not found');
    if (capability.shareId !== undefined) {
      const refused = await shareRefusalOf(this.deps.collections, capability.shareId, doc);
      if (refused) return sendRefusal(res, 403, 'FORBIDDEN', refused);
    }
    // The owner's links spend the owner's budget; a share's links the share's.
    const refused = await this.deps.limits.download(capability.shareId ? `share:${capability.shareId}` : `user:${doc.ownerId}`);
    if (refused) return sendRateLimited(res, refused);

    const size = doc.bytes;
    const range = parseRange(header(req, 'range'), size);
    const headers: Record<string, string | number> = {
      'content-type': isTextType(doc.mimeType) ? `${doc.mimeType}; charset=utf-8` : doc.mimeType,
      'content-disposition': contentDisposition(INLINE_TYPES.has(doc.mimeType) ? 'inline' : 'attachment', doc.filename),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, max-age=0',
      'accept-ranges': 'bytes',
      ...(doc.sha256 ? { etag: `"${doc.sha256}"` } : {}),
    };
    if (range.kind === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 });
      res.end();
      return;
    }
    const blob = await this.deps.blobs.get(blobKeys.original(doc._id), range.kind === 'range' && size > 0 ? { range } : {});
    if (!blob) return sendRefusal(res, 404, 'NOT_FOUND', 'File not found');
    if (range.kind === 'range') {
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${range.start}-${range.end}/${size}`,
        'content-length': range.end - range.start + 1,
      });
    } else {
      res.writeHead(200, { ...headers, 'content-length': size });
    }
    if (req.method === 'HEAD') {
      blob.stream.destroy();
      res.end();
      return;
    }
    try {
      await pipeline(blob.stream, res);
    } catch (error) {
      // The client went away, or the store failed mid-body (the response is cut, never padded).
      this.deps.logger.debug({ err: error, fileId }, 'download ended early');
    }
  }
}

/** Why a share link may not open `doc` now (undefined when it may), from the read model of conversation's shares. */
async function shareRefusalOf(collections: FileCollections, shareId: string, doc: FileDoc): Promise<string | undefined> {
  const grant = await collections.shareGrants.findOne({ _id: shareId });
  if (!grant || grant.revoked) return 'This share is not active';
  // Only a file attached to the snapshot, and only one of the sharer's own files.
  if (!grant.fileIds.includes(doc._id) || grant.ownerId !== doc.ownerId) return 'This file is not part of the share';
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
