/**
 * What a check of one embedded data file found (and, with `repair`, did): shared by the
 * embedded document store's and the embedded event log's checks, so one `chatgraph check`
 * command can print both.
 */
export interface DataCheckReport {
  /** The file checked. */
  file: string;
  /** True when nothing is wrong (after a repair: when nothing was wrong before it). */
  ok: boolean;
  /** What is wrong, one human-readable line each. */
  problems: string[];
  /** True when a repair rewrote the file to its last good state. */
  repaired: boolean;
  /** What the repair could not keep, one line each (e.g. `topic t partition 0 offset 7`). */
  lost: string[];
  /** Where the damaged original was copied before the repair. */
  backup?: string;
}
