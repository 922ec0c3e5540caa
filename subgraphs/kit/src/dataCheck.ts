/**
 * What `chatgraph check` reports for each embedded file it verified (document store, event log):
 * shared by the checkers of every embedded adapter so the command prints one kind of report.
 */
export interface DataCheckReport {
  /** The file (or directory) verified. */
  file: string;
  /** True when nothing is wrong (after a repair: when the repaired file verifies). */
  ok: boolean;
  /** What is wrong, one sentence each; empty when ok before any repair. */
  problems: string[];
  /** True when a repair rewrote the file. */
  repaired: boolean;
  /** What the repair could not recover (documents, records, transactions), one entry each. */
  lost: string[];
  /** Where the damaged original was copied before repairing. */
  backup?: string;
}
