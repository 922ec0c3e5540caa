import {
  ConfigError,
  int,
  listenConfigSpec,
  loadConfig,
  logLevelConfigSpec,
  signingSecretConfigSpec,
  str,
  url,
  type ConfigOf,
  type VarSpec,
} from '@chatgraph/kit';
import { documentStoreConfigSpec } from '@chatgraph/kit/store';
import { eventBusConfigSpec } from '@chatgraph/kit/events';
import { blobStoreConfigSpec } from '@chatgraph/kit/blob';
import { kvStoreConfigSpec } from '@chatgraph/kit/kv';
import type { FileProcessorOptions } from './processing/types';

/** The types LibreChat accepts by default for chat attachments, less the ones we cannot read yet. */
export const DEFAULT_ALLOWED_TYPES = [
  'text/plain',
  'text/markdown',
  'text/csv',
  'application/json',
  'text/html',
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
] as const;

const typeList: VarSpec<string[]> = {
  description: 'Media types `createUpload` accepts, comma-separated (the bytes must match the type claimed)',
  default: [...DEFAULT_ALLOWED_TYPES],
  show: (types) => types.join(','),
  parse(raw) {
    const types = raw
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t.length > 0);
    if (types.length === 0) throw new Error('must list at least one media type');
    for (const t of types) if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(t)) throw new Error(`"${t}" is not a media type`);
    return types;
  },
};

const MB = 1024 * 1024;

/**
 * Every environment variable file reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const fileConfigSpec = {
  ...listenConfigSpec('FILE', 'file', 4004),
  ...documentStoreConfigSpec,
  ...eventBusConfigSpec,
  ...blobStoreConfigSpec,
  ...kvStoreConfigSpec,
  ...signingSecretConfigSpec(),
  DATA_DIR: str({
    description:
      'Data directory of the embedded adapters (file keeps its documents in `<DATA_DIR>/file`, its blobs in `<DATA_DIR>/file/blobs` with BLOB_STORE=local)',
    default: '.data',
  }),
  FILE_PUBLIC_URL: url({
    description:
      "The router's public origin, which upload and download URLs are built on (clients send bytes through the router, never to file). Unset, both launchers use their (first) router's origin; set it behind a proxy or in containers",
    default: 'http://127.0.0.1:4000',
  }),
  FILE_MAX_BYTES: int({ description: 'Largest file, in bytes (LibreChat: 20 MB)', default: 20 * MB, min: 1, max: 2 ** 40 }),
  FILE_ALLOWED_TYPES: typeList,
  FILE_QUOTA_BYTES: int({
    description: 'Storage a user may hold, in bytes: stored files plus uploads waiting for their bytes',
    default: 1024 * MB,
    min: 1,
    max: 2 ** 50,
  }),
  FILE_MAX_PENDING_UPLOADS: int({
    description: 'Uploads a user may have waiting for their bytes at once (unexpired tickets)',
    default: 10,
    min: 1,
    max: 1000,
  }),
  FILE_CONCURRENT_UPLOADS: int({
    description: 'Uploads one user may be sending at once to one file instance; past it RATE_LIMITED (429) and the ticket stays unused',
    default: 3,
    min: 1,
    max: 100,
  }),
  FILE_DOWNLOADS_PER_MINUTE: int({
    description:
      "Downloads (GET or HEAD of a link, Range requests included) per minute of one user's links, or of one share's links, over every instance (GCRA in the kv); past it RATE_LIMITED (429)",
    default: 120,
    min: 1,
    max: 100_000,
  }),
  FILE_UPLOAD_TICKET_SECONDS: int({ description: 'How long an upload URL works', default: 600, min: 10, max: 86_400 }),
  FILE_DOWNLOAD_URL_SECONDS: int({ description: 'How long a `downloadUrl` works', default: 300, min: 10, max: 86_400 }),
  FILE_PROCESSING_TIMEOUT_MS: int({
    description: 'Wall-clock budget to process one file (then FAILED: TIMEOUT)',
    default: 30_000,
    min: 100,
  }),
  FILE_PROCESSING_MEMORY_MB: int({
    description: 'Heap budget of the worker processing one file (then FAILED: OUT_OF_MEMORY)',
    default: 256,
    min: 16,
  }),
  FILE_PROCESSING_CONCURRENCY: int({ description: 'Files processed at once by one instance', default: 2, min: 1, max: 64 }),
  FILE_MAX_TEXT_CHARS: int({
    description: 'Most characters of text kept from one file (then FAILED: TOO_LARGE)',
    default: 2_000_000,
    min: 1000,
  }),
  FILE_CHUNK_TOKENS: int({ description: 'Target tokens per retrieval chunk', default: 400, min: 16, max: 2000 }),
  FILE_CHUNK_OVERLAP_TOKENS: int({ description: 'Tokens neighbouring chunks share', default: 50, min: 0, max: 1000 }),
  ...logLevelConfigSpec,
};

export type FileConfig = ConfigOf<typeof fileConfigSpec>;

/** Parses and validates file's configuration; throws a `ConfigError` naming every problem. */
export function loadFileConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): FileConfig {
  const config = loadConfig(fileConfigSpec, env);
  const problems: string[] = [];
  if (config.DOCUMENT_STORE === 'mongodb' && !config.MONGO_URL) problems.push('MONGO_URL is required when DOCUMENT_STORE=mongodb');
  if (config.EVENT_BUS === 'kafka' && !config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required when EVENT_BUS=kafka');
  if (config.KV_STORE === 'redis' && !config.REDIS_URL) problems.push('REDIS_URL is required when KV_STORE=redis');
  if (config.BLOB_STORE === 'gridfs' && !config.BLOB_MONGO_URL && !config.MONGO_URL)
    problems.push('BLOB_MONGO_URL or MONGO_URL is required when BLOB_STORE=gridfs');
  if (config.FILE_CHUNK_OVERLAP_TOKENS >= config.FILE_CHUNK_TOKENS)
    problems.push('FILE_CHUNK_OVERLAP_TOKENS must be below FILE_CHUNK_TOKENS');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The processing step's budgets, from configuration. */
export function processorOptions(config: FileConfig): FileProcessorOptions {
  return {
    timeoutMs: config.FILE_PROCESSING_TIMEOUT_MS,
    maxMemoryMb: config.FILE_PROCESSING_MEMORY_MB,
    maxTextChars: config.FILE_MAX_TEXT_CHARS,
    chunkTokens: config.FILE_CHUNK_TOKENS,
    chunkOverlapTokens: config.FILE_CHUNK_OVERLAP_TOKENS,
    concurrency: config.FILE_PROCESSING_CONCURRENCY,
  };
}
