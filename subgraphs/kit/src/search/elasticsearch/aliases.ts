import { Client, errors } from '@elastic/elasticsearch';
import type { SearchIndexDefinition } from '../port';
import { indexSettings, indexMappings, type TemplateOptions } from './mappings';

/**
 * The adapter reads and writes through aliases, never a concrete index: one named after the
 * definition (`chatgraph-search`), or with `kinds` one per kind (`chatgraph-search-message`, ...,
 * layout.ts). Each alias points at one generation (`<alias>-000001`, ...), and a rebuild creates
 * the next generation and moves the alias in one atomic `_aliases` call, so searches and writes
 * never see a missing index.
 */

/** The concrete index of generation `n` behind `alias`. */
export function generationName(alias: string, n: number): string {
  return `${alias}-${String(n).padStart(6, '0')}`;
}

/** The generation number of a concrete index behind `alias` (0 for a concrete index named like the alias: the pre-alias layout). */
export function generationOf(alias: string, concrete: string): number {
  const suffix = concrete.startsWith(`${alias}-`) ? concrete.slice(alias.length + 1) : '';
  return /^\d+$/.test(suffix) ? Number(suffix) : 0;
}

function isNotFound(error: unknown): boolean {
  return error instanceof errors.ResponseError && error.statusCode === 404;
}

function isAlreadyExists(error: unknown): boolean {
  if (!(error instanceof errors.ResponseError)) return false;
  const body: unknown = error.body;
  return (body as { error?: { type?: unknown } } | undefined)?.error?.type === 'resource_already_exists_exception';
}

/**
 * Where `alias` points: the concrete indexes behind it, or `[alias]` itself when a concrete
 * index has that name (written before aliases were used; `rebuild()` moves it behind one), or
 * `[]` when neither exists.
 */
export async function concreteIndexes(client: Client, alias: string): Promise<string[]> {
  try {
    const found = await client.indices.getAlias({ name: alias });
    return Object.keys(found).sort();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  return (await client.indices.exists({ index: alias })) ? [alias] : [];
}

/** Creates a concrete index with the definition's settings and mappings, optionally already behind `alias`. */
export async function createConcrete(
  client: Client,
  name: string,
  definition: SearchIndexDefinition,
  options: TemplateOptions,
  alias?: string,
): Promise<boolean> {
  try {
    await client.indices.create({
      index: name,
      settings: indexSettings(options),
      mappings: indexMappings(definition),
      ...(alias ? { aliases: { [alias]: { is_write_index: true } } } : {}),
    });
  } catch (error) {
    // Another replica created it a moment ago, with the same settings and mappings.
    if (!isAlreadyExists(error)) throw error;
    return false;
  }
  await client.cluster.health({ index: name, wait_for_status: 'yellow', timeout: '30s' });
  return true;
}

/**
 * Makes sure the alias exists and serves the definition: creates generation 1 behind it on first
 * start (index and alias in one call, so no client sees one without the other), or adds new
 * fields of a grown definition to the current generation.
 */
export async function ensureAliasedIndex(
  client: Client,
  alias: string,
  definition: SearchIndexDefinition,
  options: TemplateOptions,
): Promise<{ created: boolean; concrete: string[] }> {
  const existing = await concreteIndexes(client, alias);
  if (existing.length > 0) {
    // Changing an existing field's type is refused by Elasticsearch: that needs `rebuild()`.
    await client.indices.putMapping({ index: alias, ...indexMappings(definition) });
    return { created: false, concrete: existing };
  }
  const first = generationName(alias, 1);
  const created = await createConcrete(client, first, definition, options, alias);
  return { created, concrete: [first] };
}

/** The concrete indexes behind the per-kind aliases of `name` (`<name>-<kind>`, layout.ts). */
async function kindIndexes(client: Client, name: string): Promise<string[]> {
  const found = await client.indices.getAlias({ name: `${name}-*` }, { ignore: [404] });
  const isKindAlias = (alias: string): boolean => alias.startsWith(`${name}-`) && /^[a-z][a-z0-9_]*$/.test(alias.slice(name.length + 1));
  return Object.entries(found).flatMap(([concrete, entry]) =>
    Object.keys((entry as { aliases?: Record<string, unknown> }).aliases ?? {}).some(isKindAlias) ? [concrete] : [],
  );
}

/**
 * Deletes an index the adapter created, whatever its layout: every generation behind the alias
 * (the alias goes with them) and behind each kind's alias, or a concrete index of that name and
 * the index template written before aliases were used. For tests and benchmarks that must not
 * leave indexes on a shared server.
 */
export async function dropElasticsearchIndex(node: string, name: string): Promise<void> {
  const client = new Client({ node, requestTimeout: 30_000 });
  try {
    const concrete = [...(await concreteIndexes(client, name)), ...(await kindIndexes(client, name))];
    for (const index of concrete) await client.indices.delete({ index }, { ignore: [404] });
    await client.indices.deleteIndexTemplate({ name }, { ignore: [404] });
  } finally {
    await client.close();
  }
}
