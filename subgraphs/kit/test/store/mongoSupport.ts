import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { createMongoStore, type DocumentStore, type MongoStoreOptions } from '../../src/store';

/**
 * Settings of the real MongoDB-compatible server tests (`*.real.test.ts`). They need a server
 * (`bash scripts/infra/mongo.sh up`: FerretDB on 127.0.0.1:27027) and fail, never skip, when it
 * cannot be reached.
 */

/** `MONGO_URL`, default the FerretDB that `scripts/infra/mongo.sh up` starts. */
export const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27027';

/** A database name no other test file uses. */
export function uniqueDbName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A store for tests: fails fast (2 s) rather than waiting for the production server-selection timeout. */
export function testMongoStore(dbName: string, overrides: Partial<MongoStoreOptions> = {}): DocumentStore {
  return createMongoStore({ uri: MONGO_URL, dbName, serverSelectionTimeoutMS: 2000, maxPoolSize: 5, ...overrides });
}

/** Runs `fn` with a short-lived connection to `url` (for set-up and cleanup outside the store under test). */
export async function withConnection<R>(url: string, fn: (connection: mongoose.Connection) => Promise<R>): Promise<R> {
  const connection = await mongoose.createConnection(url, { serverSelectionTimeoutMS: 3000 }).asPromise();
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

/** Fails with instructions when the server does not answer. */
export async function requireMongo(url = MONGO_URL): Promise<void> {
  try {
    await withConnection(url, async (connection) => {
      await connection.db?.admin().ping();
    });
  } catch (error) {
    throw new Error(
      `no MongoDB-compatible server at ${url} (start one with: bash scripts/infra/mongo.sh up, or set MONGO_URL): ${String(error)}`,
    );
  }
}

export async function dropDatabase(dbName: string, url = MONGO_URL): Promise<void> {
  await withConnection(url, async (connection) => {
    await connection.useDb(dbName).dropDatabase();
  });
}

const run = promisify(execFile);
const workspaceRoot = resolve(__dirname, '../../../..');

/**
 * A FerretDB of the restart tests' own (own port and infra directory, the shared binary linked
 * in so nothing is rebuilt), so stopping it never disturbs other real tests using `MONGO_URL`.
 */
export const RESTART_MONGO_PORT = process.env.MONGO_RESTART_PORT ?? '27028';
export const restartInfraDir = join(workspaceRoot, '.infra', `mongo-restart-${RESTART_MONGO_PORT}`);
export const RESTART_MONGO_URL = `mongodb://127.0.0.1:${RESTART_MONGO_PORT}`;

/** `bash scripts/infra/mongo.sh up|down` for the restart tests' server. */
export async function restartServerScript(command: 'up' | 'down'): Promise<void> {
  const sharedBinary = join(process.env.CHATGRAPH_INFRA_DIR ?? join(workspaceRoot, '.infra'), 'bin', 'ferretdb-chatgraph');
  const linkedBinary = join(restartInfraDir, 'bin', 'ferretdb-chatgraph');
  if (command === 'up' && existsSync(sharedBinary) && !existsSync(linkedBinary)) {
    mkdirSync(join(restartInfraDir, 'bin'), { recursive: true });
    symlinkSync(sharedBinary, linkedBinary);
  }
  await run('bash', ['scripts/infra/mongo.sh', command], {
    cwd: workspaceRoot,
    env: { ...process.env, CHATGRAPH_INFRA_DIR: restartInfraDir, MONGO_PORT: RESTART_MONGO_PORT },
    timeout: 180_000,
  });
}
