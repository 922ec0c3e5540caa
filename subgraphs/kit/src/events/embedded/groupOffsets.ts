import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, fsyncDir } from '../../store/embedded/files';

/**
 * The committed offsets of one consumer group (`<dir>/<groupId>.json`: topic -> partition ->
 * next offset to handle). Commits update memory at once and are written in the background,
 * coalesced (temp file, fsync, rename), so a busy group writes the file once per batch of
 * handled events, not once per event. Losing the last commits in a crash only means those
 * events are delivered again, which at-least-once allows; `flush()` on stop loses nothing.
 */
export class GroupOffsets {
  private dirty = false;
  private writing: Promise<void> | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly path: string,
    private readonly dir: string,
    private readonly offsets: Record<string, Record<string, number>>,
  ) {}

  static async open(dir: string, groupId: string): Promise<GroupOffsets> {
    const path = join(dir, `${groupId}.json`);
    let offsets: Record<string, Record<string, number>> = {};
    try {
      offsets = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, number>>;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw new Error(`cannot read committed offsets ${path}: ${String(error)}`);
    }
    return new GroupOffsets(path, dir, offsets);
  }

  /** The next offset to handle on a partition (0 for a partition the group never committed). */
  get(topic: string, partition: number): number {
    return this.offsets[topic]?.[String(partition)] ?? 0;
  }

  commit(topic: string, partition: number, next: number): void {
    (this.offsets[topic] ??= {})[String(partition)] = next;
    this.dirty = true;
    this.writing ??= this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    // Deferred so that the commits of this turn of the event loop share one write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.dirty) {
        this.dirty = false;
        await this.write(JSON.stringify(this.offsets));
      }
    } catch (error) {
      // Offsets are an optimisation of redelivery, not data: report it and keep consuming.
      this.failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      this.writing = undefined;
    }
  }

  private async write(text: string): Promise<void> {
    const temp = `${this.path}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.write(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.path);
    await fsyncDir(this.dir);
  }

  /** Waits until every commit so far is on disk; throws if writing failed. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure;
  }
}
