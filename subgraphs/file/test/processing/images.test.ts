import { FILE_VISION_IMAGE_MAX } from '@chatgraph/schema';
import sharp, { type Sharp } from 'sharp';
import { createFileProcessor, ProcessingError, visionDataUrl, type FileProcessor, type ProcessedFile } from '../../src/processing';
import { buildHugePngHeader } from '../fixtures/png';
import { TEST_OPTIONS } from './options';

let processor: FileProcessor;
beforeAll(() => {
  processor = createFileProcessor(TEST_OPTIONS);
});
afterAll(() => processor.stop());

const processImage = (mimeType: string, bytes: Buffer): Promise<ProcessedFile> =>
  processor.process({ fileId: 'image-1', filename: 'image', mimeType, bytes });

function picture(width: number, height: number): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } });
}

describe('images (sharp)', () => {
  const formats: Array<[string, (image: Sharp) => Sharp]> = [
    ['image/png', (image) => image.png()],
    ['image/jpeg', (image) => image.jpeg()],
    ['image/webp', (image) => image.webp()],
    ['image/gif', (image) => image.gif()],
  ];

  it.each(formats)('%s: dimensions, a WebP thumbnail within 256 px, a JPEG for vision models', async (mimeType, encode) => {
    const file = await processImage(mimeType, await encode(picture(640, 480)).toBuffer());
    expect(file.text).toBe('');
    expect(file.chunks).toEqual([]);
    expect(file.image).toMatchObject({ width: 640, height: 480 });
    const thumbnail = await sharp(file.image?.thumbnail).metadata();
    expect([thumbnail.format, thumbnail.width, thumbnail.height]).toEqual(['webp', 256, 192]);
    const vision = await sharp(file.image?.vision).metadata();
    // Never enlarged: a small image keeps its size.
    expect([vision.format, vision.width, vision.height]).toEqual(['jpeg', 640, 480]);
  });

  it('processes an image smaller than the smallest vision size (an icon) at its own size', async () => {
    const file = await processImage('image/png', await picture(8, 6).png().toBuffer());
    expect(file.image).toMatchObject({ width: 8, height: 6 });
    const vision = await sharp(file.image?.vision).metadata();
    expect([vision.format, vision.width, vision.height]).toEqual(['jpeg', 8, 6]);
  });

  it('shrinks a large, detailed image until its data URL fits the event (longest side at most 1024)', async () => {
    const noise = await sharp({
      create: { width: 2400, height: 1800, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 120 } },
    })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const file = await processImage('image/png', noise);
    expect(file.image).toMatchObject({ width: 2400, height: 1800 });
    const vision = await sharp(file.image?.vision).metadata();
    expect(vision.format).toBe('jpeg');
    expect(Math.max(vision.width, vision.height)).toBeLessThanOrEqual(1024);
    expect(visionDataUrl(file.image?.vision as Buffer).length).toBeLessThanOrEqual(FILE_VISION_IMAGE_MAX);
    const thumbnail = await sharp(file.image?.thumbnail).metadata();
    expect([thumbnail.width, thumbnail.height]).toEqual([256, 192]);
  });

  it('refuses a decompression bomb (a header declaring 400 MP) with TOO_LARGE, before decoding it', async () => {
    const bomb = buildHugePngHeader(20_000, 20_000);
    expect(bomb.length).toBeLessThan(1_000);
    const error = await processImage('image/png', bomb).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProcessingError);
    expect((error as ProcessingError).code).toBe('TOO_LARGE');
  });

  it('answers CORRUPT for an image that does not decode', async () => {
    const png = await picture(64, 64).png().toBuffer();
    const error = await processImage('image/png', png.subarray(0, 40)).catch((caught: unknown) => caught);
    expect((error as ProcessingError).code).toBe('CORRUPT');
  });
});
