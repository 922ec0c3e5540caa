/**
 * Configuration is read from the environment once, at start-up, through typed parsers. A missing
 * or malformed variable stops start-up with a message naming every offending variable. Every
 * variable carries a description: `describeConfig` renders the README table from the same specs.
 */

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface VarSpec<T> {
  description: string;
  /** When absent the variable is required. */
  default?: T;
  /** Shown in docs instead of the default (e.g. "generated in embedded mode"). */
  defaultLabel?: string;
  parse(raw: string): T;
  /** Turns a default into its documented form. */
  show?(value: T): string;
}

type Common<T> = { description: string; default?: T; defaultLabel?: string };

export function str(opts: Common<string> & { minLength?: number; pattern?: RegExp }): VarSpec<string> {
  return {
    ...opts,
    parse(raw) {
      if (opts.minLength !== undefined && raw.length < opts.minLength) throw new Error(`must be at least ${opts.minLength} characters`);
      if (opts.pattern && !opts.pattern.test(raw)) throw new Error(`must match ${String(opts.pattern)}`);
      return raw;
    },
  };
}

export function int(opts: Common<number> & { min?: number; max?: number }): VarSpec<number> {
  return {
    ...opts,
    parse(raw) {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error('must be an integer');
      const value = Number(raw);
      if (opts.min !== undefined && value < opts.min) throw new Error(`must be >= ${opts.min}`);
      if (opts.max !== undefined && value > opts.max) throw new Error(`must be <= ${opts.max}`);
      return value;
    },
  };
}

export function port(opts: Common<number>): VarSpec<number> {
  return int({ ...opts, min: 0, max: 65535 });
}

export function bool(opts: Common<boolean>): VarSpec<boolean> {
  return {
    ...opts,
    parse(raw) {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new Error('must be true or false');
    },
  };
}

export function oneOf<const V extends string>(values: readonly V[], opts: Common<V>): VarSpec<V> {
  return {
    ...opts,
    parse(raw) {
      if (!(values as readonly string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
      return raw as V;
    },
  };
}

export function url(opts: Common<string>): VarSpec<string> {
  return {
    ...opts,
    parse(raw) {
      try {
        new URL(raw);
      } catch {
        throw new Error('must be an absolute URL');
      }
      return raw.replace(/\/$/, '');
    },
  };
}

export function optional<T>(spec: VarSpec<T>): VarSpec<T | undefined> {
  return { ...spec, default: undefined, defaultLabel: spec.defaultLabel ?? '(unset)', parse: spec.parse } as VarSpec<T | undefined>;
}

export type ConfigSpec = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

/** Parses `env` against `spec`. Empty strings count as unset. Throws one ConfigError listing every problem. */
export function loadConfig<S extends ConfigSpec>(spec: S, env: NodeJS.ProcessEnv | Record<string, string | undefined>): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, varSpec] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if ('default' in varSpec) out[name] = varSpec.default;
      else problems.push(`${name} is required (${varSpec.description})`);
      continue;
    }
    try {
      out[name] = varSpec.parse(raw);
    } catch (err) {
      problems.push(`${name} ${(err as Error).message} (${varSpec.description})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Rows `name | default | description` for the README's configuration table. */
export function describeConfig(spec: ConfigSpec): Array<{ name: string; default: string; description: string }> {
  return Object.entries(spec).map(([name, v]) => ({
    name,
    default: v.defaultLabel ?? ('default' in v ? (v.default === undefined ? '(unset)' : String(v.default)) : '(required)'),
    description: v.description,
  }));
}
