import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Schema } from 'mongoose';
import type { GraphQLResponse } from '@chatgraph/kit';
import { createEmbeddedStore, type DocumentStore } from '@chatgraph/kit/store';
import { codeOf, expectCode, interceptStore, ok, startSubgraph, type Adapter, type StartableSubgraph } from '../src';

/** An adapter that records its start and stop in `log`, failing to start when told. */
function adapter(name: string, log: string[], fails = false): Adapter {
  return {
    start: async () => {
      if (fails) throw new Error(`${name} unreachable`);
      log.push(`start ${name}`);
    },
    stop: async () => {
      log.push(`stop ${name}`);
    },
  };
}

/** A service that answers no request: the harness only starts and stops it here. */
function service(log: string[]): StartableSubgraph {
  return {
    start: async () => {
      log.push('start service');
      return 'http://127.0.0.1:9';
    },
    stop: async () => {
      log.push('stop service');
    },
  };
}

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

describe('startSubgraph', () => {
  it('starts adapters in order before the service and stops them in reverse after it, once', async () => {
    const log: string[] = [];
    const h = await startSubgraph({
      name: 'support',
      secret: 's',
      setup: () => ({ adapters: [adapter('store', log), adapter('bus', log)], build: () => service(log) }),
    });
    expect(await exists(h.dataDir)).toBe(true);
    await h.stop();
    await h.dispose();
    expect(log).toEqual(['start store', 'start bus', 'start service', 'stop service', 'stop bus', 'stop store']);
    expect(await exists(h.dataDir)).toBe(false);
  });

  it('stops what started and removes its directory when an adapter cannot start', async () => {
    const log: string[] = [];
    let dir = '';
    const started = startSubgraph({
      name: 'support',
      secret: 's',
      setup: (dataDir) => {
        dir = dataDir;
        return { adapters: [adapter('store', log), adapter('bus', log, true)], build: () => service(log) };
      },
    });
    await expect(started).rejects.toThrow('bus unreachable');
    expect(log).toEqual(['start store', 'stop store']);
    expect(await exists(dir)).toBe(false);
  });
});

describe('code assertions', () => {
  const failed: GraphQLResponse = { status: 200, errors: [{ message: 'no', extensions: { code: 'NOT_FOUND' } }] };
  const succeeded: GraphQLResponse = { status: 200, data: { n: 1 } };
  it('ok returns the field and throws on errors', () => {
    expect(ok<number>(succeeded, 'n')).toBe(1);
    expect(() => ok(failed, 'n')).toThrow(/unexpected errors.*NOT_FOUND/);
  });
  it('codeOf and expectCode read the first error code', () => {
    expect(codeOf(failed)).toBe('NOT_FOUND');
    expect(codeOf(succeeded)).toBeUndefined();
    expect(() => expectCode(failed, 'NOT_FOUND')).not.toThrow();
    expect(() => expectCode(failed, 'FORBIDDEN')).toThrow(/expected error code FORBIDDEN, got NOT_FOUND/);
    expect(() => expectCode(succeeded, 'FORBIDDEN')).toThrow(/got undefined/);
  });
});

describe('interceptStore', () => {
  let store: DocumentStore;
  let dir: string;
  const calls: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'support-store-'));
    const inner = createEmbeddedStore({ dataDir: dir });
    store = interceptStore(inner, (collection, method, _args, call) => {
      calls.push(`${collection}.${method}`);
      return method === 'count' ? Promise.reject(new Error('injected')) : call();
    });
    await store.start();
  });
  afterAll(async () => {
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes calls through to the real collection, naming each, and lets a test replace one', async () => {
    const things = store.collection<{ _id: string; n: number }>({
      name: 'things',
      schema: new Schema<{ _id: string; n: number }>({ _id: String, n: Number }),
    });
    await things.insertOne({ _id: 'a', n: 1 });
    expect(await things.findById('a')).toMatchObject({ n: 1 });
    await expect(things.count({})).rejects.toThrow('injected');
    expect(calls).toEqual(['things.insertOne', 'things.findById', 'things.count']);
  });
});
