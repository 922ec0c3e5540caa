import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { IntrospectAndCompose, type SupergraphManager } from '@apollo/gateway';
import type { Logger } from '@chatgraph/kit';
import type { SubgraphEndpoint } from './config';

/** Where the router's supergraph comes from. */
export type SupergraphSource =
  /** Production: a composed supergraph file, hot-reloaded when it changes. */
  | { kind: 'file'; path: string; pollMs: number; debounceMs?: number }
  /** Embedded/dev: composed at start from the running subgraphs' `_service { sdl }`. */
  | { kind: 'composed'; subgraphs: SubgraphEndpoint[] };

/**
 * Composes from running subgraphs. IntrospectAndCompose fetches `_service { sdl }` through the
 * gateway's data sources, so the fetch is signed as the router like every other subgraph call.
 */
export function composedSupergraph(subgraphs: SubgraphEndpoint[], logger: Logger): SupergraphManager {
  return new IntrospectAndCompose({ subgraphs, logger });
}

/**
 * Serves a supergraph file and hot-reloads it. `fs.watch` on the directory sees atomic replaces
 * (write + rename) that a watch on the file would lose; a stat poll catches what file-system
 * events miss (network volumes, some container mounts). Changes are debounced so a file written
 * in several chunks is read once. A file that does not parse or validate is logged and ignored:
 * the gateway keeps serving the previous supergraph. The gateway swaps its schema and query
 * planner atomically, so requests already executing finish on the plan they started with.
 */
export function fileSupergraph(options: { path: string; pollMs: number; debounceMs?: number }, logger: Logger): SupergraphManager {
  const path = resolve(options.path);
  const debounceMs = options.debounceMs ?? 100;
  return {
    async initialize({ update }) {
      let current = await readFile(path, 'utf8');
      let rejected: string | undefined;
      let lastStat = await fingerprint(path);
      let stopped = false;
      let debounce: NodeJS.Timeout | undefined;
      let reading = false;
      let again = false;

      const reload = async (): Promise<void> => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          const next = await readFile(path, 'utf8');
          if (stopped || next === current || next === rejected) return;
          try {
            update(next);
            current = next;
            rejected = undefined;
            logger.info({ path }, 'supergraph reloaded');
          } catch (err) {
            rejected = next;
            logger.error({ err, path }, 'ignoring a supergraph file that does not load; still serving the previous one');
          }
        } catch (err) {
          logger.warn({ err, path }, 'could not read the supergraph file; still serving the previous one');
        } finally {
          reading = false;
          if (again && !stopped) {
            again = false;
            schedule();
          }
        }
      };

      const schedule = (): void => {
        if (stopped) return;
        clearTimeout(debounce);
        debounce = setTimeout(() => void reload(), debounceMs);
      };

      let watcher: FSWatcher | undefined;
      try {
        watcher = watch(dirname(path), (_event, filename) => {
          if (filename === null || filename === basename(path)) schedule();
        });
        watcher.on('error', (err) => logger.warn({ err, path }, 'supergraph watch failed; relying on polling'));
      } catch (err) {
        logger.warn({ err, path }, 'cannot watch the supergraph file; relying on polling');
      }

      const poll = setInterval(() => {
        void fingerprint(path).then((now) => {
          if (now !== lastStat) {
            lastStat = now;
            schedule();
          }
        });
      }, options.pollMs);
      poll.unref();

      return {
        supergraphSdl: current,
        async cleanup() {
          stopped = true;
          watcher?.close();
          clearInterval(poll);
          clearTimeout(debounce);
        },
      };
    },
  };
}

/** Changes when the file is rewritten or replaced; empty when it is missing. */
async function fingerprint(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return '';
  }
}

/** The supergraph manager for a source. */
export function supergraphManager(source: SupergraphSource, logger: Logger): SupergraphManager {
  return source.kind === 'file' ? fileSupergraph(source, logger) : composedSupergraph(source.subgraphs, logger);
}
