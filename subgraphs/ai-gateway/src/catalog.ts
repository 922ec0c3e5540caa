import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The model catalog: which providers exist, which models the graph offers, and how each model is
 * routed to provider deployments. Read once at start-up from MODEL_CATALOG_FILE (YAML or JSON)
 * and validated strictly against the zod schemas below (stated once: the types are inferred from
 * them): a bad field stops start-up with its path (`models[1].contextWindow`), never at the first
 * request, and every problem of the file is reported in one run. API keys are never in the file, only the name of the environment
 * variable holding each one.
 */

const ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What a model can be used for (`ModelCapability` in the graph, upper-cased). */
export const MODEL_CAPABILITIES = ['chat', 'vision', 'embeddings', 'tools'] as const;

const ID_RULE = 'must be an id of 1 to 200 letters, digits, `.`, `_`, `:`, `/` or `-`';
const id = z.string({ error: ID_RULE }).regex(ID, { error: ID_RULE });
const text = (max = 200) => {
  const rule = `must be a non-empty string of at most ${max} characters`;
  return z
    .string({ error: rule })
    .max(max, { error: rule })
    .refine((value) => value.trim().length > 0, { error: rule });
};
const int = (min: number, max: number) => {
  const rule = `must be an integer from ${min} to ${max}`;
  return z.int({ error: rule }).min(min, { error: rule }).max(max, { error: rule });
};
const PRICE_RULE = 'must be a number >= 0 (USD per million tokens)';
/** Absent or null: unpriced. */
const price = z
  .number({ error: PRICE_RULE })
  .min(0, { error: PRICE_RULE })
  .nullish()
  .transform((value) => value ?? null);

/** The provider kinds, checked first: the kind decides which fields a provider may have. */
const providerKind = z.enum(['openai', 'demo'], { error: 'must be `openai` (any OpenAI-compatible API) or `demo`' });

/** An OpenAI-compatible HTTP API (OpenAI, Azure OpenAI-compatible endpoints, Ollama, vLLM, OpenRouter, Groq...), as written in the file. */
const openAIProviderSchema = z.strictObject({
  id,
  kind: z.literal('openai'),
  /** Omitted: the SDK's default (api.openai.com). */
  baseURL: z
    .string({ error: 'must be an http(s) URL, e.g. http://127.0.0.1:11434/v1' })
    .regex(/^https?:\/\/[^\s]+$/, { error: 'must be an http(s) URL, e.g. http://127.0.0.1:11434/v1' })
    .optional(),
  /** The environment variable that holds the key; omitted for keyless local servers (Ollama). */
  apiKeyEnv: z
    .string({ error: 'must be an environment variable name, e.g. OPENAI_API_KEY' })
    .regex(ENV_NAME, { error: 'must be an environment variable name, e.g. OPENAI_API_KEY' })
    .optional(),
  /** Send the key in this header instead of `Authorization: Bearer` (Azure's `api-key`). */
  apiKeyHeader: z
    .string({ error: 'must be an HTTP header name, e.g. api-key' })
    .regex(/^[A-Za-z0-9-]{1,100}$/, { error: 'must be an HTTP header name, e.g. api-key' })
    .optional(),
  headers: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object' }).default({}),
  /** The SDK's per-request timeout (whole request), ms. */
  timeoutMs: int(100, 3_600_000).default(600_000),
  /** Send `stream_options.include_usage` (some compatible servers reject it). */
  streamUsage: z.boolean({ error: 'must be true or false' }).default(true),
});

/** The built-in local demo model: deterministic text at a configured pace, no network. */
const demoProviderSchema = z.strictObject({ id, kind: z.literal('demo') });

const modelSchema = z.strictObject({
  id,
  displayName: text(),
  contextWindow: int(256, 10_000_000),
  // The graph shows capabilities as a closed enum (ModelCapability): an unknown word is a config error.
  capabilities: z
    .array(
      z.string().refine((value) => (MODEL_CAPABILITIES as readonly string[]).includes(value), {
        error: `must be one of ${MODEL_CAPABILITIES.join(', ')}`,
      }),
      { error: 'must be a list' },
    )
    .default(['chat']),
  inputPricePerMTok: price,
  outputPricePerMTok: price,
});

/** One place a model can be served: a provider and the provider's own model name. */
const routeSchema = z.strictObject({
  provider: id,
  model: text(),
  /** Lower runs first; deployments of equal priority share load by `weight`. */
  priority: int(0, 1000).default(1),
  weight: int(1, 1_000_000).default(1),
});

/** The document's top level; each list item is checked on its own so one bad item hides no other problem. */
const rootSchema = z.strictObject({
  providers: z.array(z.unknown(), { error: 'must be a list' }),
  models: z.array(z.unknown(), { error: 'must be a list' }).min(1, { error: 'must list at least one model' }),
  routes: z.record(z.string(), z.array(z.unknown(), { error: 'must be a list' }).min(1, { error: 'must list at least one deployment' }), {
    error: 'must be an object',
  }),
  titleModel: z.unknown().optional(),
  embeddingModel: z.unknown().optional(),
});

/** An OpenAI-compatible provider with its key resolved from `apiKeyEnv` at load time. */
export type OpenAIProviderSpec = z.infer<typeof openAIProviderSchema> & { apiKey?: string };
export type DemoProviderSpec = z.infer<typeof demoProviderSchema>;
export type ProviderSpec = OpenAIProviderSpec | DemoProviderSpec;
export type ModelSpec = z.infer<typeof modelSchema>;
export type RouteSpec = z.infer<typeof routeSchema>;

export interface ModelCatalog {
  providers: ProviderSpec[];
  models: ModelSpec[];
  /** Model id -> its deployments (at least one each). */
  routes: Record<string, RouteSpec[]>;
  /** The cheap model titles are generated with. */
  titleModel: string;
  /** The model `/internal/embeddings` uses when the caller names none. */
  embeddingModel: string;
}

/** A catalog file that cannot be used; `problems` each start with the path of the bad field. */
export class CatalogError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid model catalog ${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'CatalogError';
  }
}

export const DEMO_MODEL_ID = 'local-demo';
export const DEMO_EMBEDDING_MODEL_ID = 'local-demo-embedding';

/** The catalog without a file: only the local demo model, so `pnpm start` chats offline. */
export function builtInCatalog(): ModelCatalog {
  return {
    providers: [{ id: 'demo', kind: 'demo' }],
    models: [
      {
        id: DEMO_MODEL_ID,
        displayName: 'Local demo model (offline, not an AI)',
        contextWindow: 8192,
        capabilities: ['chat'],
        inputPricePerMTok: 0,
        outputPricePerMTok: 0,
      },
      {
        id: DEMO_EMBEDDING_MODEL_ID,
        displayName: 'Local demo embedding (hashing, not an AI)',
        contextWindow: 8192,
        capabilities: ['embeddings'],
        inputPricePerMTok: 0,
        outputPricePerMTok: 0,
      },
    ],
    routes: {
      [DEMO_MODEL_ID]: [{ provider: 'demo', model: DEMO_MODEL_ID, priority: 1, weight: 1 }],
      [DEMO_EMBEDDING_MODEL_ID]: [{ provider: 'demo', model: DEMO_EMBEDDING_MODEL_ID, priority: 1, weight: 1 }],
    },
    titleModel: DEMO_MODEL_ID,
    embeddingModel: DEMO_EMBEDDING_MODEL_ID,
  };
}

type Env = NodeJS.ProcessEnv | Record<string, string | undefined>;

/** Reads and validates a catalog file (`.yaml`/`.yml`/`.json`; YAML is a superset of JSON). */
export function loadCatalogFile(file: string, env: Env): ModelCatalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CatalogError(file, [`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new CatalogError(file, [`is not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}`]);
  }
  return parseCatalog(raw, env, file);
}

/** `prefix` and a zod issue path joined the way problems name fields: `routes.m[0].weight`. */
function pathOf(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((joined, key) => (typeof key === 'number' ? `${joined}[${key}]` : `${joined}.${String(key)}`), prefix);
}

/** Collects problems while walking the raw document, so one run reports all of them. */
class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): undefined {
    this.list.push(`${path}: ${message}`);
    return undefined;
  }
  /** `raw` checked against `schema` at `path`: its value, or undefined with every issue recorded. */
  check<S extends z.ZodObject>(schema: S, raw: unknown, path: string): z.infer<S> | undefined {
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const known = Object.keys(schema.shape).join(', ');
        for (const key of issue.keys) this.add(pathOf(path, [...issue.path, key]), `is not a known field (expected one of ${known})`);
      } else if (issue.code === 'invalid_type' && issue.path.length === 0) {
        this.add(path, 'must be an object');
      } else {
        this.add(pathOf(path, issue.path), issue.message);
      }
    }
    return undefined;
  }
}

/** `raw[key]` when `raw` is an object and it holds a valid id. */
function idOf(raw: unknown, key: string): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const value = id.safeParse((raw as Record<string, unknown>)[key]);
  return value.success ? value.data : undefined;
}

function parseProvider(problems: Problems, raw: unknown, path: string, env: Env): ProviderSpec | undefined {
  const obj = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (!obj) return problems.add(path, 'must be an object');
  const kind = providerKind.safeParse(obj.kind);
  if (!kind.success) {
    problems.check(z.object({ id }), obj, path);
    return problems.add(`${path}.kind`, kind.error.issues[0]?.message ?? 'is invalid');
  }
  if (kind.data === 'demo') return problems.check(demoProviderSchema, obj, path);
  const { apiKey: keyInFile, ...fields } = obj;
  if (keyInFile !== undefined)
    problems.add(`${path}.apiKey`, 'keys never go in the catalog file: name the environment variable that holds it in `apiKeyEnv`');
  const provider = problems.check(openAIProviderSchema, fields, path);
  if (!provider) return undefined;
  // Reported, but the provider is kept so routes naming it are not also reported as dangling.
  if (provider.apiKeyHeader !== undefined && provider.apiKeyEnv === undefined)
    problems.add(`${path}.apiKeyHeader`, 'needs apiKeyEnv (the key it carries)');
  if (provider.apiKeyEnv === undefined) return provider;
  const apiKey = env[provider.apiKeyEnv];
  if (!apiKey) problems.add(`${path}.apiKeyEnv`, `the environment variable ${provider.apiKeyEnv} is not set`);
  return { ...provider, apiKey };
}

/** Validates a parsed catalog document; `source` names it in errors. */
export function parseCatalog(raw: unknown, env: Env, source = 'catalog'): ModelCatalog {
  const problems = new Problems();
  const root = problems.check(rootSchema, raw, '(root)');
  // Items are still checked when the top level has a problem, so one run reports everything.
  const document = (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const listAt = (key: string): unknown[] => (Array.isArray(document[key]) ? (document[key] as unknown[]) : []);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new CatalogError(source, problems.list);

  const providers: ProviderSpec[] = [];
  listAt('providers').forEach((p, i) => {
    const provider = parseProvider(problems, p, `providers[${i}]`, env);
    if (!provider) return;
    if (providers.some((other) => other.id === provider.id))
      problems.add(`providers[${i}].id`, `duplicates the provider id ${provider.id}`);
    providers.push(provider);
  });
  // References are checked against every provider with a usable id, even one with another
  // problem: a bad baseURL is reported once, not again at each route naming its provider.
  const providerIds = new Set(listAt('providers').flatMap((p) => idOf(p, 'id') ?? []));

  const models: ModelSpec[] = [];
  listAt('models').forEach((m, i) => {
    const model = problems.check(modelSchema, m, `models[${i}]`);
    if (!model) return;
    if (models.some((other) => other.id === model.id)) problems.add(`models[${i}].id`, `duplicates the model id ${model.id}`);
    models.push(model);
  });
  const modelIds = new Set(models.map((m) => m.id));

  const routes: Record<string, RouteSpec[]> = {};
  const routeMap = (
    document.routes !== null && typeof document.routes === 'object' && !Array.isArray(document.routes) ? document.routes : {}
  ) as Record<string, unknown>;
  for (const [modelId, list] of Object.entries(routeMap)) {
    if (!modelIds.has(modelId)) problems.add(`routes.${modelId}`, 'names no model of `models`');
    const items = Array.isArray(list) ? list : [];
    routes[modelId] = items.flatMap((r, i) => {
      const path = `routes.${modelId}[${i}]`;
      const route = problems.check(routeSchema, r, path);
      const provider = idOf(r, 'provider');
      if (provider !== undefined && !providerIds.has(provider))
        problems.add(`${path}.provider`, `names no provider of \`providers\` (${[...providerIds].join(', ') || 'none'})`);
      return route ? [route] : [];
    });
  }
  for (const model of models)
    if (!(model.id in routeMap)) problems.add(`routes.${model.id}`, 'is missing: every model needs at least one deployment');

  const modelRef = (value: unknown, path: string, capability: string): string | undefined => {
    const ref = id.safeParse(value);
    if (!ref.success) return problems.add(path, ID_RULE);
    const model = models.find((m) => m.id === ref.data);
    if (!model) return problems.add(path, `names no model of \`models\` (${[...modelIds].join(', ')})`);
    if (!model.capabilities.includes(capability))
      return problems.add(path, `names ${ref.data}, which lacks the \`${capability}\` capability`);
    return ref.data;
  };
  const chatModel = models.find((m) => m.capabilities.includes('chat'));
  const embeddingDefault = models.find((m) => m.capabilities.includes('embeddings'));
  const titleModel = document.titleModel === undefined ? chatModel?.id : modelRef(document.titleModel, 'titleModel', 'chat');
  if (document.titleModel === undefined && !chatModel) problems.add('titleModel', 'is required (and no model has the `chat` capability)');
  // Without an embedding model the built-in hashing embedding still serves /internal/embeddings.
  const embeddingModel =
    document.embeddingModel === undefined
      ? (embeddingDefault?.id ?? DEMO_EMBEDDING_MODEL_ID)
      : modelRef(document.embeddingModel, 'embeddingModel', 'embeddings');

  if (!root || problems.list.length > 0 || titleModel === undefined || embeddingModel === undefined)
    throw new CatalogError(source, problems.list);
  return { providers, models, routes, titleModel, embeddingModel };
}

/**
 * The catalog a configuration names: MODEL_CATALOG_FILE (keys resolved from `env`) or the
 * built-in demo catalog. For main.ts and launchers; `buildAiGateway` itself reads no file.
 */
export function catalogFromConfig(config: { MODEL_CATALOG_FILE?: string | undefined }, env: Env): ModelCatalog {
  return config.MODEL_CATALOG_FILE ? loadCatalogFile(config.MODEL_CATALOG_FILE, env) : builtInCatalog();
}
