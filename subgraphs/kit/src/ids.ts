import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * A new document id: 48 bits of milliseconds, a 16-bit counter, then 64 random bits, as 32 hex
 * characters. Ids sort by creation time within a process (useful as a paging tie-breaker) and
 * never repeat across processes.
 */
export function newId(): string {
  const now = Date.now();
  if (now === lastMs) {
    counter = (counter + 1) & 0xffff;
  } else {
    lastMs = now;
    counter = randomBytes(2).readUInt16BE(0) & 0x7fff;
  }
  return now.toString(16).padStart(12, '0') + counter.toString(16).padStart(4, '0') + randomBytes(8).toString('hex');
}
