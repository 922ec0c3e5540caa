/** Where a shared suite runs: how to start the service, and how long to poll for asynchronous work. */
export interface Target<H> {
  /** Starts the service, with `env` added to the target's configuration. */
  start(env?: Record<string, string>): Promise<H>;
  /** Bounded polling steps (10 ms each, plus the read itself) for relays and consumers. */
  tries: number;
  /** Timeout of setup hooks, in ms. */
  hookTimeout: number;
}

/** In-process adapters: work lands within a few polls. */
export const EMBEDDED_POLLING = { tries: 400, hookTimeout: 30_000 } as const;

/** Real servers: Kafka delivers within a fetch wait (1 s) plus group work, FerretDB answers in ~40 ms. */
export const REAL_POLLING = { tries: 3000, hookTimeout: 120_000 } as const;

/** The embedded target of a service: `start` as it is. */
export function embeddedTarget<H>(start: (env?: Record<string, string>) => Promise<H>): Target<H> {
  return { start, ...EMBEDDED_POLLING };
}

/**
 * The real-server target of a service: `start` with `realEnv()` (fresh namespaces per call) under
 * the test's own `env`, and the harness told to poll as long as real servers need.
 */
export function realTarget<H extends { tries: number }>(
  start: (env?: Record<string, string>) => Promise<H>,
  realEnv: () => Record<string, string>,
): Target<H> {
  return {
    async start(env) {
      const h = await start({ ...realEnv(), ...env });
      h.tries = REAL_POLLING.tries;
      return h;
    },
    ...REAL_POLLING,
  };
}
