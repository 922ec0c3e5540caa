import { FILE_VISION_IMAGE_MAX } from '@chatgraph/schema';
import sharp, { type Sharp } from 'sharp';
import { ProcessingError, type ProcessedFile } from './types';

/**
 * Images are processed with sharp on the main thread, not in a sandbox worker: sharp decodes in
 * libvips on libuv's thread pool (the event loop never waits on it) and its memory is native,
 * which a worker's V8 heap limit would not bound anyway. What bounds it instead: the pixel limit
 * checked from the header before any decoding (a decompression bomb is refused unopened), and
 * sharp's own per-operation timeout, which stops libvips (terminating a worker mid-operation would
 * not). Loading sharp once in the process also spares every worker a native addon.
 */

/** Most pixels an image may have (50 MP: a 8K photo has 33); past it the file is TOO_LARGE. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Longest side of the thumbnail (WebP). */
export const THUMBNAIL_SIDE = 256;
/** Longest side of the copy for vision models (JPEG). */
export const VISION_SIDE = 1024;
const DATA_URL_PREFIX = 'data:image/jpeg;base64,';
/** JPEG qualities tried in turn before the image is made smaller. */
const VISION_QUALITIES = [80, 65, 50, 35];

/** Characters of the `data:image/jpeg;base64,...` URL of a JPEG of `bytes` bytes. */
export function visionDataUrlLength(bytes: number): number {
  return DATA_URL_PREFIX.length + 4 * Math.ceil(bytes / 3);
}

/** The vision copy as the data URL an event carries. */
export function visionDataUrl(jpeg: Buffer): string {
  return DATA_URL_PREFIX + jpeg.toString('base64');
}

function toImageError(error: unknown): ProcessingError {
  if (error instanceof ProcessingError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new ProcessingError('TOO_LARGE', `the image has more than ${MAX_IMAGE_PIXELS} pixels`);
  if (/timeout/i.test(message)) return new ProcessingError('TIMEOUT', 'the image took too long to process');
  return new ProcessingError('CORRUPT', `the image could not be read: ${message.slice(0, 300)}`);
}

/**
 * The largest JPEG within VISION_SIDE whose data URL fits FILE_VISION_IMAGE_MAX: quality is lowered
 * first, then the image is shrunk by a quarter at a time.
 */
async function visionJpeg(open: () => Sharp, width: number, height: number): Promise<Buffer> {
  // An image already smaller than the smallest side tried is tried at its own size, once.
  const MIN_SIDE = 16;
  let side = Math.min(VISION_SIDE, Math.max(width, height));
  for (;;) {
    for (const quality of VISION_QUALITIES) {
      const jpeg = await open()
        .resize(side, side, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality })
        .toBuffer();
      if (visionDataUrlLength(jpeg.length) <= FILE_VISION_IMAGE_MAX) return jpeg;
    }
    if (side <= MIN_SIDE) break;
    side = Math.max(MIN_SIDE, Math.floor(side * 0.75));
  }
  throw new ProcessingError('TOO_LARGE', 'the image cannot be made small enough for vision models');
}

/** Dimensions (after EXIF orientation), a WebP thumbnail and a JPEG for vision models of an image. */
export async function processImage(bytes: Buffer, timeoutMs: number): Promise<ProcessedFile> {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  // A fresh pipeline per output; `animated: false` reads the first frame of a GIF or WebP only.
  const open = (): Sharp =>
    sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error', autoOrient: true, animated: false }).timeout({ seconds });
  try {
    const metadata = await open().metadata();
    const { width, height } = metadata.autoOrient;
    if (!width || !height) throw new ProcessingError('CORRUPT', 'the image has no dimensions');
    if (width * height > MAX_IMAGE_PIXELS) throw new ProcessingError('TOO_LARGE', `the image has more than ${MAX_IMAGE_PIXELS} pixels`);
    const thumbnail = await open()
      .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 })
      .toBuffer();
    const vision = await visionJpeg(open, width, height);
    return { text: '', image: { width, height, thumbnail, vision }, chunks: [] };
  } catch (error) {
    throw toImageError(error);
  }
}
