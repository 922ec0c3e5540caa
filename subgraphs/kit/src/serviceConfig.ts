import { oneOf, port, str, type VarSpec } from './config';

/**
 * The configuration every service reads the same way: where it listens, the router<->subgraph
 * secret, the log level. Spread into a service's spec (`...listenConfigSpec('SEARCH', 'search',
 * 4005)`) so the variables, their checks and their documented meaning are written once; the key
 * order of the spec is the order of its generated config table.
 */

/** The two variables `listenConfigSpec` gives a service. */
export type ListenConfigSpec<P extends string> = { [K in `${P}_PORT`]: VarSpec<number> } & { [K in `${P}_HOST`]: VarSpec<string> };

/** `<PREFIX>_PORT` and `<PREFIX>_HOST` of a subgraph; `what` adds to their descriptions (e.g. what the port serves). */
export function listenConfigSpec<P extends string>(
  prefix: P,
  service: string,
  defaultPort: number,
  what: { port?: string; accepts?: string } = {},
): ListenConfigSpec<P> {
  const accepts = what.accepts ?? 'router-signed requests';
  return {
    [`${prefix}_PORT`]: port({
      description: `Port the ${service} subgraph listens on${what.port ? ` ${what.port}` : ''}`,
      default: defaultPort,
    }),
    [`${prefix}_HOST`]: str({
      description: `Interface the ${service} subgraph binds to (0.0.0.0 in containers; it still accepts only ${accepts})`,
      default: '127.0.0.1',
    }),
  } as ListenConfigSpec<P>;
}

/** `INTERNAL_SIGNING_SECRET`: what the router signs every request to a subgraph with; `what` names what else it signs. */
export function signingSecretConfigSpec(what = 'internal requests'): { INTERNAL_SIGNING_SECRET: VarSpec<string> } {
  return {
    INTERNAL_SIGNING_SECRET: str({
      description: `HMAC secret shared with the router to sign and verify ${what} (at least 32 characters)`,
      minLength: 32,
    }),
  };
}

/** The pino levels `LOG_LEVEL` accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `LOG_LEVEL`, default `info`. */
export const logLevelConfigSpec = {
  LOG_LEVEL: oneOf(LOG_LEVELS, { description: 'Minimum level of log lines', default: 'info' }),
};
