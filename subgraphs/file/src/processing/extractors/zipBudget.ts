import { inflateRawSync } from 'node:zlib';
import { ProcessingError } from '../types';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** The parts a text extractor reads (mammoth and our Office readers read XML and relationships, never media). */
const XML_PART = /\.(xml|rels)$/i;
/** More parts than any real office document has; a directory of millions is itself an attack. */
const MAX_ENTRIES = 10_000;

function corrupt(why: string): ProcessingError {
  return new ProcessingError('CORRUPT', `the file is not a valid ZIP container: ${why}`);
}

function tooLarge(maxBytes: number): ProcessingError {
  return new ProcessingError('TOO_LARGE', `the file's compressed parts inflate to more than ${maxBytes} bytes`);
}

function findEndOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at -= 1) {
    if (zip.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) return at;
  }
  throw corrupt('no end of central directory');
}

/** One XML part of the container, as its central directory describes it. */
interface XmlEntry {
  name: string;
  method: number;
  declaredSize: number;
  /** The part's stored (compressed) bytes. */
  data: Buffer;
}

/** The container's XML parts, in directory order (media is never located, let alone inflated). */
function xmlEntries(zip: Buffer, maxBytes: number): XmlEntry[] {
  if (zip.length < 22) throw corrupt('too short');
  const end = findEndOfCentralDirectory(zip);
  const entries = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  if (entries === 0xffff || at === 0xffffffff) throw corrupt('ZIP64 containers are not supported');
  if (entries > MAX_ENTRIES) throw tooLarge(maxBytes);
  const found: XmlEntry[] = [];
  for (let entry = 0; entry < entries; entry += 1) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL_ENTRY) throw corrupt('bad central directory');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const declaredSize = zip.readUInt32LE(at + 24);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + zip.readUInt16LE(at + 28));
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    if (!XML_PART.test(name)) continue;
    if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== LOCAL_HEADER) throw corrupt('bad local header');
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    found.push({ name, method, declaredSize, data: zip.subarray(dataStart, dataStart + compressedSize) });
  }
  return found;
}

/** A part's bytes, inflating at most `maxOutput` bytes (zlib stops there rather than allocate what the data asks). */
function inflateEntry(entry: XmlEntry, maxOutput: number, maxBytes: number): Buffer {
  if (entry.method === 0) {
    if (entry.data.length > maxOutput) throw tooLarge(maxBytes);
    return entry.data;
  }
  if (entry.method !== 8) throw corrupt(`compression method ${entry.method} is not supported`);
  try {
    return inflateRawSync(entry.data, { maxOutputLength: Math.max(1, maxOutput) });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
    throw corrupt(`a part does not inflate (${(error as Error).message})`);
  }
}

/**
 * Proves the XML parts of a ZIP container (DOCX, XLSX, PPTX) inflate to at most `maxBytes` in all,
 * before a library inflates them whole. The sizes a ZIP declares may lie (a zip bomb declares
 * kilobytes and inflates to gigabytes), so every part is actually inflated with zlib's
 * `maxOutputLength`, which stops at the budget instead of allocating what the data asks for;
 * parts that share their data (overlapping entries, the non-recursive zip bomb) are counted each
 * time. Inflated bytes are dropped at once.
 */
export function assertZipInflatesWithin(zip: Buffer, maxBytes: number): void {
  xmlPartsWithin(zip, maxBytes);
}

function xmlPartsWithin(zip: Buffer, maxBytes: number): Map<string, XmlEntry> {
  const byName = new Map<string, XmlEntry>();
  let total = 0;
  for (const entry of xmlEntries(zip, maxBytes)) {
    if (total + entry.declaredSize > maxBytes) throw tooLarge(maxBytes);
    total += inflateEntry(entry, maxBytes - total, maxBytes).length;
    if (total > maxBytes) throw tooLarge(maxBytes);
    byName.set(entry.name, entry);
  }
  return byName;
}

/** Reads the XML parts of a container proven to inflate within budget. */
export interface ZipXmlParts {
  /** Names of the XML parts (as stored, without a leading slash). */
  readonly names: readonly string[];
  /** A part's text (UTF-8), or undefined when the container has no such part. */
  read(name: string): string | undefined;
}

/**
 * Opens a container for our own Office readers: first the same proof as
 * `assertZipInflatesWithin` (all XML parts within `maxBytes`), then parts are inflated one at a
 * time as they are read, so only the part being parsed is held.
 */
export function openZipWithin(zip: Buffer, maxBytes: number): ZipXmlParts {
  const byName = xmlPartsWithin(zip, maxBytes);
  return {
    names: [...byName.keys()],
    read(name) {
      const entry = byName.get(name.replace(/^\//, ''));
      return entry && inflateEntry(entry, maxBytes, maxBytes).toString('utf8');
    },
  };
}
