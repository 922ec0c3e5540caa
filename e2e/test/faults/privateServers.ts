/**
 * Private Kafka, Redis and MongoDB-compatible servers for the fault-injection suite, started with
 * the same scripts/infra scripts as CI's shared ones but on ports the OS hands out and with all
 * their state in a temporary directory: the suite restarts them, which must never touch the
 * servers other test files (and other people) are using.
 *
 * The temporary state directory borrows the shared one's installs (Kafka's jars, the FerretDB
 * binary) through symlinks, so nothing is downloaded or built again; without them the scripts
 * install into the private directory as they would on a fresh machine.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../distributedStack';

const root = path.join(__dirname, '..', '..', '..');
/** Where CI's shared servers keep their state (and their installs), as scripts/infra/lib.sh decides. */
const sharedInfraDir = process.env.CHATGRAPH_INFRA_DIR ?? path.join(root, '.infra');

export type ServerName = 'kafka' | 'redis' | 'mongo';

export interface PrivateServers {
  kafkaBrokers: string;
  redisUrl: string;
  mongoUrl: string;
  /** Stops the server (its data stays: Redis keeps an append-only file), as `<name>.sh down`. */
  down(name: ServerName): Promise<void>;
  /** Starts it again and waits until it is healthy, as `<name>.sh up`. */
  up(name: ServerName): Promise<void>;
  /** Stops all three and deletes their state. */
  dispose(): Promise<void>;
}

/** Runs `scripts/infra/<name>.sh <action>` with the private environment; rejects with its output. */
function infra(name: ServerName, action: 'up' | 'down', env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [path.join(root, 'scripts/infra', `${name}.sh`), action],
      { env: { ...process.env, ...env }, timeout: 180_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${name}.sh ${action} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve();
      },
    );
  });
}

/** Points the private state directory at the shared one's installs, when it has them. */
function borrowInstalls(dir: string): void {
  const links: Array<[string, string]> = [
    [path.join(sharedInfraDir, 'kafka', 'jars'), path.join(dir, 'kafka', 'jars')],
    [path.join(sharedInfraDir, 'bin'), path.join(dir, 'bin')],
  ];
  for (const [shared, own] of links) {
    if (!existsSync(shared)) continue;
    mkdirSync(path.dirname(own), { recursive: true });
    symlinkSync(shared, own);
  }
}

/** Starts the three private servers (at once) and resolves when all are healthy. */
export async function startPrivateServers(): Promise<PrivateServers> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chatgraph-faults-infra-'));
  borrowInstalls(dir);
  const [redisPort, kafkaPort, controllerPort, mongoPort] = (await freePorts(4)) as [number, number, number, number];
  const env: NodeJS.ProcessEnv = {
    CHATGRAPH_INFRA_DIR: dir,
    REDIS_PORT: String(redisPort),
    // A restart keeps Redis's data, as a production Redis with persistence does: token streams
    // written before the restart are still there to resume.
    REDIS_APPENDONLY: 'yes',
    KAFKA_PORT: String(kafkaPort),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_LOG_LEVEL: 'WARN',
    MONGO_PORT: String(mongoPort),
  };
  const names: ServerName[] = ['kafka', 'redis', 'mongo'];
  const dispose = async (): Promise<void> => {
    await Promise.allSettled(names.map((name) => infra(name, 'down', env)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(names.map((name) => infra(name, 'up', env)));
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    kafkaBrokers: `127.0.0.1:${kafkaPort}`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    mongoUrl: `mongodb://127.0.0.1:${mongoPort}`,
    down: (name) => infra(name, 'down', env),
    up: (name) => infra(name, 'up', env),
    dispose,
  };
}
