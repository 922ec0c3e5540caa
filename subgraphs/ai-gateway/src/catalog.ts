import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/**
 * The model catalog: which providers exist, which models the graph offers, and how each model is
 * routed to provider deployments. Read once at start-up from MODEL_CATALOG_FILE (YAML or JSON)
 * and validated strictly: a bad field stops start-up with its path (`models[1].contextWindow`),
 * never at the first request. API keys are never in the file, only the name of the environment
 * variable holding each one.
 */

/** An OpenAI-compatible HTTP API (OpenAI, Azure OpenAI-compatible endpoints, Ollama, vLLM, OpenRouter, Groq...). */
export interface OpenAIProviderSpec {
  id: string;
  kind: 'openai';
  /** Omitted: the SDK's default (api.openai.com). */
  baseURL?: string;
  /** The environment variable that holds the key; omitted for keyless local servers (Ollama). */
  apiKeyEnv?: string;
  /** Resolved from `apiKeyEnv` at load time. */
  apiKey?: string;
  /** Send the key in this header instead of `Authorization: Bearer` (Azure's `api-key`). */
  apiKeyHeader?: string;
  headers: Record<string, string>;
  /** The SDK's per-request timeout (whole request), ms. */
  timeoutMs: number;
  /** Send `stream_options.include_usage` (some compatible servers reject it). */
  streamUsage: boolean;
}

/** The built-in local demo model: deterministic text at a configured pace, no network. */
export interface DemoProviderSpec {
  id: string;
  kind: 'demo';
}

export type ProviderSpec = OpenAIProviderSpec | DemoProviderSpec;

export interface ModelSpec {
  id: string;
  displayName: string;
  contextWindow: number;
  capabilities: string[];
  inputPricePerMTok: number | null;
  outputPricePerMTok: number | null;
}

/** One place a model can be served: a provider and the provider's own model name. */
export interface RouteSpec {
  provider: string;
  model: string;
  /** Lower runs first; deployments of equal priority share load by `weight`. */
  priority: number;
  weight: number;
}

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
      { id: DEMO_MODEL_ID, displayName: 'Local demo model (offline, not an AI)', contextWindow: 8192, capabilities: ['chat'], inputPricePerMTok: 0, outputPricePerMTok: 0 },
      { id: DEMO_EMBEDDING_MODEL_ID, displayName: 'Local demo embedding (hashing, not an AI)', contextWindow: 8192, capabilities: ['embeddings'], inputPricePerMTok: 0, outputPricePerMTok: 0 },
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

const ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Collects problems while walking the raw document, so one run reports all of them. */
class Checker {
  readonly problems: string[] = [];
  fail(path: string, message: string): undefined {
    this.problems.push(`${path}: ${message}`);
    return undefined;
  }
  object(value: unknown, path: string): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(path, 'must be an object');
    return value as Record<string, unknown>;
  }
  array(value: unknown, path: string): unknown[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, 'must be a list');
    return value;
  }
  id(value: unknown, path: string): string | undefined {
    if (typeof value !== 'string' || !ID.test(value)) return this.fail(path, 'must be an id of 1 to 200 letters, digits, `.`, `_`, `:`, `/` or `-`');
    return value;
  }
  text(value: unknown, path: string, max = 200): string | undefined {
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) return this.fail(path, `must be a non-empty string of at most ${max} characters`);
    return value;
  }
  int(value: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) return this.fail(path, `must be an integer from ${min} to ${max}`);
    return value;
  }
  price(value: unknown, path: string): number | null | undefined {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return this.fail(path, 'must be a number >= 0 (USD per million tokens)');
    return value;
  }
  unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(obj)) if (!allowed.includes(key)) this.fail(`${path}.${key}`, `is not a known field (expected one of ${allowed.join(', ')})`);
  }
}

function parseProvider(c: Checker, raw: unknown, path: string, env: Env): ProviderSpec | undefined {
  const obj = c.object(raw, path);
  if (!obj) return undefined;
  const id = c.id(obj.id, `${path}.id`);
  if (obj.kind === 'demo') {
    c.unknownKeys(obj, ['id', 'kind'], path);
    return id ? { id, kind: 'demo' } : undefined;
  }
  if (obj.kind !== 'openai') return c.fail(`${path}.kind`, 'must be `openai` (any OpenAI-compatible API) or `demo`');
  c.unknownKeys(obj, ['id', 'kind', 'baseURL', 'apiKeyEnv', 'apiKeyHeader', 'apiKey', 'headers', 'timeoutMs', 'streamUsage'], path);
  if (obj.apiKey !== undefined) c.fail(`${path}.apiKey`, 'keys never go in the catalog file: name the environment variable that holds it in `apiKeyEnv`');
  let baseURL: string | undefined;
  if (obj.baseURL !== undefined) {
    if (typeof obj.baseURL !== 'string' || !/^https?:\/\/[^\s]+$/.test(obj.baseURL)) c.fail(`${path}.baseURL`, 'must be an http(s) URL, e.g. http://127.0.0.1:11434/v1');
    else baseURL = obj.baseURL;
  }
  let apiKeyEnv: string | undefined;
  let apiKey: string | undefined;
  if (obj.apiKeyEnv !== undefined) {
    if (typeof obj.apiKeyEnv !== 'string' || !ENV_NAME.test(obj.apiKeyEnv)) c.fail(`${path}.apiKeyEnv`, 'must be an environment variable name, e.g. OPENAI_API_KEY');
    else {
      apiKeyEnv = obj.apiKeyEnv;
      apiKey = env[apiKeyEnv];
      if (!apiKey) c.fail(`${path}.apiKeyEnv`, `the environment variable ${apiKeyEnv} is not set`);
    }
  }
  let apiKeyHeader: string | undefined;
  if (obj.apiKeyHeader !== undefined) {
    if (typeof obj.apiKeyHeader !== 'string' || !/^[A-Za-z0-9-]{1,100}$/.test(obj.apiKeyHeader)) c.fail(`${path}.apiKeyHeader`, 'must be an HTTP header name, e.g. api-key');
    else if (obj.apiKeyEnv === undefined) c.fail(`${path}.apiKeyHeader`, 'needs apiKeyEnv (the key it carries)');
    else apiKeyHeader = obj.apiKeyHeader;
  }
  const headers: Record<string, string> = {};
  if (obj.headers !== undefined) {
    const h = c.object(obj.headers, `${path}.headers`);
    for (const [name, value] of Object.entries(h ?? {})) {
      if (typeof value !== 'string') c.fail(`${path}.headers.${name}`, 'must be a string');
      else headers[name] = value;
    }
  }
  const timeoutMs = obj.timeoutMs === undefined ? 600_000 : c.int(obj.timeoutMs, `${path}.timeoutMs`, 100, 3_600_000);
  let streamUsage = true;
  if (obj.streamUsage !== undefined) {
    if (typeof obj.streamUsage !== 'boolean') c.fail(`${path}.streamUsage`, 'must be true or false');
    else streamUsage = obj.streamUsage;
  }
  if (!id || timeoutMs === undefined) return undefined;
  return { id, kind: 'openai', baseURL, apiKeyEnv, apiKey, ...(apiKeyHeader ? { apiKeyHeader } : {}), headers, timeoutMs, streamUsage };
}

/** What a model can be used for (`ModelCapability` in the graph, upper-cased). */
export const MODEL_CAPABILITIES = ['chat', 'vision', 'embeddings', 'tools'] as const;

function parseModel(c: Checker, raw: unknown, path: string): ModelSpec | undefined {
  const obj = c.object(raw, path);
  if (!obj) return undefined;
  c.unknownKeys(obj, ['id', 'displayName', 'contextWindow', 'capabilities', 'inputPricePerMTok', 'outputPricePerMTok'], path);
  const id = c.id(obj.id, `${path}.id`);
  const displayName = c.text(obj.displayName, `${path}.displayName`);
  const contextWindow = c.int(obj.contextWindow, `${path}.contextWindow`, 256, 10_000_000);
  const capabilities: string[] = [];
  const caps = obj.capabilities === undefined ? ['chat'] : c.array(obj.capabilities, `${path}.capabilities`);
  caps?.forEach((cap, i) => {
    const value = c.id(cap, `${path}.capabilities[${i}]`);
    // The graph shows capabilities as a closed enum (ModelCapability): an unknown word is a config error.
    if (value && !(MODEL_CAPABILITIES as readonly string[]).includes(value)) c.fail(`${path}.capabilities[${i}]`, `must be one of ${MODEL_CAPABILITIES.join(', ')}`);
    else if (value) capabilities.push(value);
  });
  const inputPricePerMTok = c.price(obj.inputPricePerMTok, `${path}.inputPricePerMTok`);
  const outputPricePerMTok = c.price(obj.outputPricePerMTok, `${path}.outputPricePerMTok`);
  if (!id || !displayName || contextWindow === undefined || inputPricePerMTok === undefined || outputPricePerMTok === undefined) return undefined;
  return { id, displayName, contextWindow, capabilities, inputPricePerMTok, outputPricePerMTok };
}

function parseRoute(c: Checker, raw: unknown, path: string, providers: ReadonlySet<string>): RouteSpec | undefined {
  const obj = c.object(raw, path);
  if (!obj) return undefined;
  c.unknownKeys(obj, ['provider', 'model', 'priority', 'weight'], path);
  const provider = c.id(obj.provider, `${path}.provider`);
  if (provider && !providers.has(provider)) c.fail(`${path}.provider`, `names no provider of \`providers\` (${[...providers].join(', ') || 'none'})`);
  const model = c.text(obj.model, `${path}.model`);
  const priority = obj.priority === undefined ? 1 : c.int(obj.priority, `${path}.priority`, 0, 1000);
  const weight = obj.weight === undefined ? 1 : c.int(obj.weight, `${path}.weight`, 1, 1_000_000);
  if (!provider || !model || priority === undefined || weight === undefined) return undefined;
  return { provider, model, priority, weight };
}

/** Validates a parsed catalog document; `source` names it in errors. */
export function parseCatalog(raw: unknown, env: Env, source = 'catalog'): ModelCatalog {
  const c = new Checker();
  const root = c.object(raw, '(root)');
  if (!root) throw new CatalogError(source, c.problems);
  c.unknownKeys(root, ['providers', 'models', 'routes', 'titleModel', 'embeddingModel'], '(root)');

  const providers: ProviderSpec[] = [];
  (c.array(root.providers, 'providers') ?? []).forEach((p, i) => {
    const provider = parseProvider(c, p, `providers[${i}]`, env);
    if (!provider) return;
    if (providers.some((other) => other.id === provider.id)) c.fail(`providers[${i}].id`, `duplicates the provider id ${provider.id}`);
    providers.push(provider);
  });
  const providerIds = new Set(providers.map((p) => p.id));

  const models: ModelSpec[] = [];
  const modelList = c.array(root.models, 'models') ?? [];
  if (Array.isArray(root.models) && modelList.length === 0) c.fail('models', 'must list at least one model');
  modelList.forEach((m, i) => {
    const model = parseModel(c, m, `models[${i}]`);
    if (!model) return;
    if (models.some((other) => other.id === model.id)) c.fail(`models[${i}].id`, `duplicates the model id ${model.id}`);
    models.push(model);
  });
  const modelIds = new Set(models.map((m) => m.id));

  const routes: Record<string, RouteSpec[]> = {};
  const routeMap = c.object(root.routes, 'routes') ?? {};
  for (const [modelId, list] of Object.entries(routeMap)) {
    if (!modelIds.has(modelId)) c.fail(`routes.${modelId}`, 'names no model of `models`');
    const items = c.array(list, `routes.${modelId}`) ?? [];
    if (Array.isArray(list) && items.length === 0) c.fail(`routes.${modelId}`, 'must list at least one deployment');
    const parsed = items.map((r, i) => parseRoute(c, r, `routes.${modelId}[${i}]`, providerIds)).filter((r): r is RouteSpec => r !== undefined);
    routes[modelId] = parsed;
  }
  for (const model of models) if (!(model.id in routeMap)) c.fail(`routes.${model.id}`, 'is missing: every model needs at least one deployment');

  const modelRef = (value: unknown, path: string, capability: string): string | undefined => {
    const id = c.id(value, path);
    if (!id) return undefined;
    const model = models.find((m) => m.id === id);
    if (!model) return c.fail(path, `names no model of \`models\` (${[...modelIds].join(', ')})`);
    if (!model.capabilities.includes(capability)) return c.fail(path, `names ${id}, which lacks the \`${capability}\` capability`);
    return id;
  };
  const chatModel = models.find((m) => m.capabilities.includes('chat'));
  const embeddingDefault = models.find((m) => m.capabilities.includes('embeddings'));
  const titleModel = root.titleModel === undefined ? chatModel?.id : modelRef(root.titleModel, 'titleModel', 'chat');
  if (root.titleModel === undefined && !chatModel) c.fail('titleModel', 'is required (and no model has the `chat` capability)');
  // Without an embedding model the built-in hashing embedding still serves /internal/embeddings.
  const embeddingModel = root.embeddingModel === undefined ? (embeddingDefault?.id ?? DEMO_EMBEDDING_MODEL_ID) : modelRef(root.embeddingModel, 'embeddingModel', 'embeddings');

  if (c.problems.length > 0 || titleModel === undefined || embeddingModel === undefined) throw new CatalogError(source, c.problems);
  return { providers, models, routes, titleModel, embeddingModel };
}

/**
 * The catalog a configuration names: MODEL_CATALOG_FILE (keys resolved from `env`) or the
 * built-in demo catalog. For main.ts and launchers; `buildAiGateway` itself reads no file.
 */
export function catalogFromConfig(config: { MODEL_CATALOG_FILE?: string | undefined }, env: Env): ModelCatalog {
  return config.MODEL_CATALOG_FILE ? loadCatalogFile(config.MODEL_CATALOG_FILE, env) : builtInCatalog();
}
