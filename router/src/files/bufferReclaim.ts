import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A young-generation collection, when the process can ask for one. */
type Collect = () => void;

/**
 * V8's `gc` function, young generation only. Exposed at run time when the process was not started
 * with `--expose-gc` (`setFlagsFromString` then a fresh context sees `gc`; the main context's
 * globals are untouched). Undefined if the engine refuses: relaying then works as before.
 */
export function youngGenerationGc(): Collect | undefined {
  const exposed = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;
  if (exposed) return () => exposed({ type: 'minor' });
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as ((options: { type: 'minor' }) => void) | undefined;
    return typeof gc === 'function' ? () => gc({ type: 'minor' }) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps the memory a relayed body costs flat. Node reads each socket into a fresh buffer (64 KiB)
 * and hands it on; once written upstream it is garbage, but V8 collects buffers' memory only at a
 * garbage collection, and the tiny JS objects that own them fill the young generation slowly: V8
 * starts one for their sake only after about 64 MB of such memory has piled up. So relaying a
 * 100 MB upload grew the router's RSS by ~65 MB of dead buffers (`pnpm bench:file-upload`, and
 * arrayBuffers of `process.memoryUsage()` in router/test/fileRoutesMemory.test.ts). Counting the
 * bytes relayed and asking for a young-generation collection (a scavenge: the router's young
 * objects only, well under a millisecond) every `everyBytes` bounds the dead buffers to about that.
 */
export class BufferReclaimer {
  private pending = 0;

  constructor(
    private readonly everyBytes: number,
    private readonly collect: Collect | undefined = youngGenerationGc(),
  ) {}

  /** Counts `bytes` relayed (read from a socket); collects when `everyBytes` have been since the last collection. */
  relayed(bytes: number): void {
    if (!this.collect) return;
    this.pending += bytes;
    if (this.pending < this.everyBytes) return;
    this.pending = 0;
    this.collect();
  }
}
