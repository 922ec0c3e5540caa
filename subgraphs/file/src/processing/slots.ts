import { ProcessingError } from './types';

/** A counting semaphore: at most `size` holders at once, the others wait in arrival order. */
export class Slots {
  private held = 0;
  private readonly waiting: Array<{ grant: () => void; refuse: (error: Error) => void }> = [];

  constructor(private readonly size: number) {}

  /** Waits for a slot; the returned function gives it back (calling it twice is harmless). */
  acquire(): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        this.held += 1;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.held -= 1;
          this.waiting.shift()?.grant();
        });
      };
      if (this.held < this.size) grant();
      else this.waiting.push({ grant, refuse: reject });
    });
  }

  /** Refuses everyone still waiting (the processor is stopping). */
  refuseWaiting(): void {
    for (const waiter of this.waiting.splice(0)) waiter.refuse(new ProcessingError('INTERNAL', 'the file processor stopped'));
  }
}
