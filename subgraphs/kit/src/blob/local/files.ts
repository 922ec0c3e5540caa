import { createWriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { fsyncDir, removeIfExists } from '../../durability/files';
import type { Readable } from 'node:stream';
import { Meter } from '../metering';

/** Durable file writes for the local blob store: temp file, fsync, rename, fsync the directory. */

/** Streams `source` into a new file at `path`, fsynced before it closes; returns its size and hash. The file is removed on failure. */
export async function writeStreamed(source: Readable, path: string): Promise<{ bytes: number; sha256: string }> {
  const meter = new Meter();
  try {
    // `flush`: the stream fsyncs the file before closing it, and the pipeline waits for the close.
    await pipeline(source, meter, createWriteStream(path, { flags: 'wx', flush: true }));
  } catch (error) {
    await removeIfExists(path);
    throw error;
  }
  return { bytes: meter.bytes, sha256: meter.digest() };
}

/** Writes `text` to `temp`, fsyncs it, renames it onto `target` and makes the rename durable. */
export async function replaceFile(temp: string, target: string, targetDir: string, text: string): Promise<void> {
  try {
    await writeFile(temp, text, { flag: 'wx', flush: true });
    await rename(temp, target);
  } catch (error) {
    await removeIfExists(temp);
    throw error;
  }
  await fsyncDir(targetDir);
}

/** Moves a complete temporary file into place durably. */
export async function moveInto(temp: string, target: string, targetDir: string): Promise<void> {
  await rename(temp, target);
  await fsyncDir(targetDir);
}
