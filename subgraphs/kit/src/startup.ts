/**
 * Refusing a start loudly. A service whose store, or any collection it uses, cannot open must not
 * listen: serving half a store answers INTERNAL on every call to the broken collection and sends
 * its events to the dead-letter log. Every entry point (a service's `start()`, its main.ts, the
 * embedded and distributed launchers) runs its opening steps through `refuseStartUnless`, so the
 * operator reads one message saying which service, which dependency, what went wrong (the
 * adapter's error names the collection or file) and how to repair it.
 */

/** The documented repair path (docs/operations.md, "A start that refuses"). */
export const REPAIR_HINT =
  'to repair an embedded data directory run `./chatgraph check --repair` (it keeps a backup and restores the last good state); ' +
  'on MongoDB fix what the error names (e.g. remove duplicate documents or drop a conflicting index); then start again';

/** A service cannot start because a dependency it needs cannot open. */
export class StartRefusedError extends Error {
  constructor(
    readonly service: string,
    readonly dependency: string,
    cause: unknown,
  ) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/\.+$/, '');
    // An adapter that already says how to repair (the embedded store names `chatgraph check`) is not told twice.
    const hint = /check --repair/.test(reason) ? '' : ` ${REPAIR_HINT}`;
    super(`${service} refused to start: its ${dependency} cannot open: ${reason}.${hint}`, { cause });
    this.name = 'StartRefusedError';
  }
}

/**
 * Runs one opening step of `service` (starting or pinging a store, a bus); its failure becomes a
 * `StartRefusedError` (passed through unchanged when it already is one).
 */
export async function refuseStartUnless(service: string, dependency: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    throw error instanceof StartRefusedError ? error : new StartRefusedError(service, dependency, error);
  }
}
