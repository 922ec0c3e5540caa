import { SearchRequestError } from './errors';
import type { KeywordValues, SearchDocument, SearchFilters, SearchIndexDefinition, SearchRequest } from './port';

/**
 * Checks shared by both adapters, so that a request one engine accepts the other accepts too,
 * and so that no search can run without an owner.
 */

/** Largest page; deeper results are reached with the cursor. */
export const MAX_SEARCH_PAGE_SIZE = 100;
export const DEFAULT_RANK_WINDOW_SIZE = 100;

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const INDEX_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const MODES = new Set(['keyword', 'semantic', 'hybrid']);

function fail(message: string): never {
  throw new SearchRequestError(message);
}

function nonEmptyString(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.length === 0) fail(`${what} must be a non-empty string`);
}

function validDate(value: unknown, what: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) fail(`${what} must be a valid Date`);
}

export function validateDefinition(definition: SearchIndexDefinition): void {
  if (!INDEX_NAME.test(definition.name)) fail(`index name ${JSON.stringify(definition.name)} must be lowercase letters, digits, - or _`);
  const textFields = Object.entries(definition.textFields);
  if (textFields.length === 0) fail('an index needs at least one text field');
  for (const [field, weight] of textFields) {
    if (!FIELD_NAME.test(field)) fail(`invalid text field name ${JSON.stringify(field)}`);
    if (!Number.isFinite(weight) || weight <= 0) fail(`text field ${field} needs a positive weight`);
  }
  for (const field of definition.keywordFields ?? []) {
    if (!FIELD_NAME.test(field)) fail(`invalid keyword field name ${JSON.stringify(field)}`);
  }
  const dims = definition.vectorDims;
  // 4096 is Elasticsearch's limit for indexed dense_vector fields.
  if (dims !== undefined && (!Number.isInteger(dims) || dims < 1 || dims > 4096)) fail('vectorDims must be an integer in 1..4096');
  const window = definition.rankWindowSize;
  if (window !== undefined && (!Number.isInteger(window) || window < 1 || window > 10_000))
    fail('rankWindowSize must be an integer in 1..10000');
}

/** The vector must fit the index and have a direction (cosine of a zero vector is undefined). */
export function validateVector(definition: SearchIndexDefinition, vector: readonly number[], what: string): void {
  if (definition.vectorDims === undefined) fail(`index ${definition.name} has no vector field`);
  if (vector.length !== definition.vectorDims) fail(`${what} has ${vector.length} dimensions, the index ${definition.vectorDims}`);
  if (!vector.every(Number.isFinite)) fail(`${what} must contain finite numbers`);
  if (vector.every((x) => x === 0)) fail(`${what} must not be all zeros`);
}

function validateKeywords(definition: SearchIndexDefinition, keywords: KeywordValues, what: string): void {
  const declared = new Set(definition.keywordFields ?? []);
  for (const [field, value] of Object.entries(keywords)) {
    if (!declared.has(field)) fail(`${what}: ${field} is not a keyword field of ${definition.name}`);
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((v) => typeof v === 'string')) fail(`${what}: ${field} must hold strings`);
  }
}

export function validateDocument(definition: SearchIndexDefinition, doc: SearchDocument): void {
  nonEmptyString(doc.id, 'document id');
  const what = `document ${doc.id}`;
  nonEmptyString(doc.ownerId, `${what}: ownerId`);
  nonEmptyString(doc.kind, `${what}: kind`);
  for (const [field, value] of Object.entries(doc.text)) {
    if (!(field in definition.textFields)) fail(`${what}: ${field} is not a text field of ${definition.name}`);
    if (typeof value !== 'string') fail(`${what}: text.${field} must be a string`);
  }
  if (doc.keywords) validateKeywords(definition, doc.keywords, what);
  if (doc.vector !== undefined) validateVector(definition, doc.vector, `${what}: vector`);
  validDate(doc.createdAt, `${what}: createdAt`);
  if (doc.updatedAt !== undefined) validDate(doc.updatedAt, `${what}: updatedAt`);
}

export function validateDocuments(definition: SearchIndexDefinition, docs: readonly SearchDocument[]): void {
  const ids = new Set<string>();
  for (const doc of docs) {
    validateDocument(definition, doc);
    // Two versions of one id in a bulk would leave the engines disagreeing on which one wins.
    if (ids.has(doc.id)) fail(`document ${doc.id} appears twice in one upsert`);
    ids.add(doc.id);
  }
}

/** What `deleteMatching` may delete: one owner's documents, matched on at least one declared keyword field. */
export function validateDeleteMatching(definition: SearchIndexDefinition, ownerId: unknown, keywords: KeywordValues): void {
  nonEmptyString(ownerId, 'deleteMatching ownerId');
  const values = Object.values(keywords ?? {});
  if (values.length === 0 || values.some((value) => Array.isArray(value) && value.length === 0))
    fail('deleteMatching needs at least one keyword field, each with at least one value');
  validateKeywords(definition, keywords, 'deleteMatching keywords');
}

/** Refuses an empty owner: `deleteByOwner('')` must not be mistaken for "nobody's documents". */
export function validateOwnerId(ownerId: unknown, what: string): void {
  nonEmptyString(ownerId, what);
}

export function validateRequest(definition: SearchIndexDefinition, request: SearchRequest): void {
  nonEmptyString(request.ownerId, 'search ownerId');
  if (!MODES.has(request.mode)) fail(`unknown search mode ${String(request.mode)}`);
  if (!Number.isInteger(request.size) || request.size < 1 || request.size > MAX_SEARCH_PAGE_SIZE)
    fail(`size must be an integer in 1..${MAX_SEARCH_PAGE_SIZE}`);
  if (request.mode !== 'semantic' && typeof request.text !== 'string') fail(`${request.mode} search needs text`);
  if (request.text !== undefined && typeof request.text !== 'string') fail('search text must be a string');
  if (request.mode !== 'keyword' && request.vector === undefined) fail(`${request.mode} search needs a vector`);
  if (request.vector !== undefined) validateVector(definition, request.vector, 'query vector');
  if (request.cursor && (request.before || request.backward === true)) fail('cursor (forward) and before/backward exclude each other');
  validateFilters(definition, request.filters ?? {});
  if (request.vectorFilter) validateKeywords(definition, request.vectorFilter, 'vectorFilter');
}

/** The most ids `matchingIds` returns at once. */
export const MAX_MATCHING_IDS = 10_000;

export function validateMatchingIds(definition: SearchIndexDefinition, ownerId: unknown, filters: SearchFilters, limit: number): void {
  nonEmptyString(ownerId, 'matchingIds ownerId');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_MATCHING_IDS)
    fail(`matchingIds limit must be an integer in 1..${MAX_MATCHING_IDS}`);
  validateFilters(definition, filters);
}

function validateFilters(definition: SearchIndexDefinition, filters: SearchFilters): void {
  if (filters.kinds !== undefined && !filters.kinds.every((k) => typeof k === 'string')) fail('filters.kinds must hold strings');
  if (filters.keywords) validateKeywords(definition, filters.keywords, 'filters.keywords');
  if (filters.createdAt?.gte !== undefined) validDate(filters.createdAt.gte, 'filters.createdAt.gte');
  if (filters.createdAt?.lt !== undefined) validDate(filters.createdAt.lt, 'filters.createdAt.lt');
}

/** A maintenance scan names a declared keyword field, string values and a size of 1..1000. */
export function validateScan(
  definition: SearchIndexDefinition,
  field: string,
  values: readonly string[],
  after: string | null,
  size: number,
): void {
  if (!(definition.keywordFields ?? []).includes(field)) fail(`scan: ${field} is not a keyword field of ${definition.name}`);
  if (!values.every((v) => typeof v === 'string')) fail('scan: values must be strings');
  if (after !== null && typeof after !== 'string') fail('scan: after must be an id or null');
  if (!Number.isInteger(size) || size < 1 || size > 1000) fail('scan: size must be an integer in 1..1000');
}

export function rankWindowSize(definition: SearchIndexDefinition): number {
  return definition.rankWindowSize ?? DEFAULT_RANK_WINDOW_SIZE;
}
