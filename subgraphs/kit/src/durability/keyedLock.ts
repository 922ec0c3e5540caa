/**
 * A mutex per key. Updates of one document queue behind each other for the read, validate,
 * apply section, so a hot document (a counter everyone increments) costs one validation per
 * update instead of a storm of optimistic retries.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `section` once every earlier section for `key` has finished. */
  async run<R>(key: string, section: () => Promise<R>): Promise<R> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await section();
    } finally {
      release();
      // The last holder cleans up so the map does not grow with every id ever updated.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
