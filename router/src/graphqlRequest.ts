import type { HttpRequest } from '@chatgraph/kit';
import { refusal, type Refusal } from './refusal';

/** A GraphQL request as the client sent it (POST body or GET query string), shape-checked. */
export interface GraphQLRequest {
  query: string | undefined;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  extensions: Record<string, unknown> | undefined;
}

/** Content types a browser may send cross-site without a preflight (Apollo's CSRF rule). */
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/** Headers a browser cannot set cross-site without a preflight; either proves the request is not CSRF. */
const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'] as const;

function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function bad(message: string): Refusal {
  return refusal('BAD_USER_INPUT', message);
}

/**
 * Apollo's CSRF prevention: a request a browser could send cross-site without a preflight (no
 * content type, or a "simple" one) must carry a non-simple header. JSON POSTs pass; GETs need
 * `apollo-require-preflight` (or `x-apollo-operation-name`).
 */
function csrfRefusal(req: HttpRequest): Refusal | undefined {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !SIMPLE_CONTENT_TYPES.has(mediaType(contentType))) return undefined;
  for (const name of PREFLIGHT_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string' && value.length > 0) return undefined;
  }
  return bad(
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a 'content-type' header (with a type that is not one of application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a non-empty value for one of the following headers: apollo-require-preflight, x-apollo-operation-name",
  );
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** Absent, null, or what `guard` accepts: Apollo treats null fields as absent. */
function optional<T>(value: unknown, guard: (v: unknown) => v is T): value is T | null | undefined {
  return value === undefined || value === null || guard(value);
}

function fromPost(body: Buffer): GraphQLRequest | Refusal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return bad('Request body is not valid JSON');
  }
  if (!isRecord(parsed)) return bad('POST body must be a JSON object (batched requests are not supported)');
  const { query, operationName, variables, extensions } = parsed;
  if (!optional(query, isString)) return bad('GraphQL queries must be strings.');
  if (!optional(operationName, isString)) return bad('`operationName` in a POST body must be a string if provided.');
  if (!optional(variables, isRecord)) return bad('`variables` in a POST body must be an object if provided.');
  if (!optional(extensions, isRecord)) return bad('`extensions` in a POST body must be an object if provided.');
  return {
    query: query ?? undefined,
    operationName: operationName ?? undefined,
    variables: variables ?? undefined,
    extensions: extensions ?? undefined,
  };
}

function fromGet(search: string): GraphQLRequest | Refusal {
  const params = new URLSearchParams(search);
  let refused: Refusal | undefined;
  const single = (name: string): string | undefined => {
    const values = params.getAll(name);
    if (values.length > 1) refused ??= bad(`The '${name}' search parameter may only be specified once.`);
    return values[0];
  };
  const json = (name: string): Record<string, unknown> | undefined => {
    const raw = single(name);
    if (raw === undefined) return undefined;
    try {
      const value: unknown = JSON.parse(raw);
      if (isRecord(value)) return value;
      refused ??= bad(`The ${name} search parameter should contain a JSON-encoded object.`);
    } catch {
      refused ??= bad(`The ${name} search parameter contains invalid JSON.`);
    }
    return undefined;
  };
  const request: GraphQLRequest = {
    query: single('query'),
    operationName: single('operationName'),
    variables: json('variables'),
    extensions: json('extensions'),
  };
  return refused ?? request;
}

/**
 * Reads a GraphQL request from `POST` (JSON body) or `GET` (query string), after the CSRF check.
 * A GET may only declare `application/json` as its content type (415 otherwise), like Apollo.
 */
export function readGraphQLRequest(req: HttpRequest): GraphQLRequest | Refusal {
  if (req.method === 'GET') {
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && mediaType(contentType) !== 'application/json') {
      return refusal('BAD_USER_INPUT', 'GET requests may not have a content-type header other than application/json.', {}, 415);
    }
  }
  const csrf = csrfRefusal(req);
  if (csrf) return csrf;
  return req.method === 'GET' ? fromGet(req.search) : fromPost(req.body);
}

/** Media types a GraphQL response may be served as. */
const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

/**
 * The response content type for an `Accept` header, or undefined when the client accepts neither
 * JSON type (406). `application/graphql-response+json` is chosen only when the client prefers it
 * (listed first, or without `application/json`); anything else gets `application/json`.
 */
export function responseContentType(accept: string | undefined): string | undefined {
  if (accept === undefined || accept === '' || accept === '*/*') return JSON_TYPE;
  const json = accept.indexOf('application/json');
  const graphql = accept.indexOf('application/graphql-response+json');
  if (graphql !== -1 && (json === -1 || graphql < json)) return GRAPHQL_RESPONSE_TYPE;
  if (json !== -1 || accept.includes('*/*') || accept.includes('application/*')) return JSON_TYPE;
  return undefined;
}
