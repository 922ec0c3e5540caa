import { SearchRequestError } from '../errors';
import type { SearchIndexDefinition } from '../port';

/**
 * Which aliases an index definition occupies on Elasticsearch. Without `kinds`, one alias named
 * after the definition holds every document. With `kinds`, each kind has an alias of its own,
 * `<name>-<kind>` (each over its own generations, `<name>-<kind>-000001`, ...): writes and
 * deletes go to the alias of the document's kind, searches and reads to the aliases of the kinds
 * they concern, comma-joined into one request, so ranking, paging and the owner filter stay one
 * engine query.
 */
export interface IndexLayout {
  /** Every alias of the definition, in the definition's kind order. */
  readonly aliases: readonly string[];
  /** The alias holding documents of `kind` (the single alias without `kinds`); undefined for a kind the definition lacks. */
  aliasOf(kind: string): string | undefined;
  /** The aliases a search of `kinds` reads (all of them for none, or for kinds the definition lacks only). */
  aliasesFor(kinds: readonly string[] | undefined): string[];
  /** The one alias of a definition without `kinds` that existed before kinds were split; undefined without `kinds`. */
  readonly legacyAlias: string | undefined;
}

/** Kinds become index names: lowercase, as Elasticsearch requires, and no `-` (it separates the generation). */
const KIND = /^[a-z][a-z0-9_]*$/;

/** The alias of one kind's documents. */
export function kindAlias(name: string, kind: string): string {
  return `${name}-${kind}`;
}

export function layoutOf(definition: SearchIndexDefinition): IndexLayout {
  const kinds = definition.kinds;
  if (!kinds || kinds.length === 0) {
    const alias = definition.name;
    return { aliases: [alias], aliasOf: () => alias, aliasesFor: () => [alias], legacyAlias: undefined };
  }
  for (const kind of kinds)
    if (!KIND.test(kind)) throw new SearchRequestError(`index kind "${kind}" must match ${String(KIND)} (it names an Elasticsearch alias)`);
  const byKind = new Map(kinds.map((kind) => [kind, kindAlias(definition.name, kind)]));
  const aliases = [...byKind.values()];
  return {
    aliases,
    aliasOf: (kind) => byKind.get(kind),
    aliasesFor: (wanted) => {
      const chosen = (wanted ?? []).flatMap((kind) => byKind.get(kind) ?? []);
      return chosen.length > 0 ? [...new Set(chosen)] : aliases;
    },
    legacyAlias: definition.name,
  };
}

/** Refuses documents of a kind the layout has no alias for, before anything is written. */
export function aliasesOfDocuments(layout: IndexLayout, docs: ReadonlyArray<{ id: string; kind: string }>): string[] {
  return docs.map((doc) => {
    const alias = layout.aliasOf(doc.kind);
    if (alias === undefined) throw new SearchRequestError(`document ${doc.id} has kind "${doc.kind}", which the index does not declare`);
    return alias;
  });
}
