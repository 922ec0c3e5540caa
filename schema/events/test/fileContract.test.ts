import { EventValidationError, FILE_CHUNKS_PER_EVENT, FILE_TEXT_FOR_MODEL_MAX, fileFileV1, topicContract, validateEvent } from '..';

const subject = { fileId: 'f1', ownerId: 'u1' };
const sha256 = 'a'.repeat(64);

describe('file.file.v1', () => {
  it('is registered and keyed by the file', () => {
    const event = fileFileV1.create('file.uploaded', subject, {
      filename: 'report.pdf',
      mimeType: 'application/pdf',
      bytes: 1234,
      sha256,
      purpose: 'MESSAGE_ATTACHMENT',
    });
    expect(topicContract('file.file.v1')).toBe(fileFileV1);
    expect(fileFileV1.keyOf(event)).toBe('f1');
    expect(validateEvent('file.file.v1', JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('refuses a malformed digest, an unknown purpose, too much text and an oversized chunk batch', () => {
    const uploaded = { filename: 'a.txt', mimeType: 'text/plain', bytes: 1, sha256, purpose: 'MESSAGE_ATTACHMENT' as const };
    expect(() => fileFileV1.create('file.uploaded', subject, { ...uploaded, sha256: 'xyz' })).toThrow(EventValidationError);
    expect(() => fileFileV1.create('file.uploaded', subject, { ...uploaded, purpose: 'EXFILTRATION' as never })).toThrow(
      EventValidationError,
    );
    const processed = {
      filename: 'a.txt',
      mimeType: 'text/plain',
      bytes: 1,
      purpose: 'MESSAGE_ATTACHMENT' as const,
      textTruncated: false,
      chunkCount: 0,
    };
    expect(() => fileFileV1.create('file.processed', subject, { ...processed, text: 'x'.repeat(FILE_TEXT_FOR_MODEL_MAX + 1) })).toThrow(
      EventValidationError,
    );
    const chunks = Array.from({ length: FILE_CHUNKS_PER_EVENT + 1 }, (_, index) => ({ index, text: 'x', tokens: 1 }));
    expect(() => fileFileV1.create('file.chunked', subject, { filename: 'a.txt', chunks, chunkCount: chunks.length })).toThrow(
      EventValidationError,
    );
  });
});
