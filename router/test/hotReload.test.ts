import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeTestSupergraph } from './support/compose';
import { errorCode, eventually } from './support/http';
import { captureLogs, silentLogger } from './support/logs';
import { startTestRouter, TEST_SECRET, type TestRouter } from './support/testGraph';
import { startTestIdentity, TEST_IDENTITY_SDL, type TestIdentity } from './support/testIdentity';
import { profilesSdl, startTestProfiles, type TestProfiles } from './support/testProfiles';

describe('router: supergraph file hot reload', () => {
  let dir: string;
  let path: string;
  let identity: TestIdentity;
  let profiles: TestProfiles;
  let router: TestRouter;
  const logs = captureLogs('router');

  const supergraph = (added: boolean): string =>
    composeTestSupergraph([
      { name: 'identity', url: identity.graphqlUrl, typeDefs: TEST_IDENTITY_SDL },
      { name: 'profiles', url: profiles.graphqlUrl, typeDefs: profilesSdl({ added }) },
    ]);

  /** Replaces the file atomically, as a deploy would (write aside, then rename over it). */
  const replaceFile = async (content: string): Promise<void> => {
    const aside = `${path}.next`;
    await writeFile(aside, content);
    await rename(aside, path);
  };

  const addedWorks = async (): Promise<boolean> => (await router.query('{ added }')).body.data?.added === 'added field';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'router-reload-'));
    path = join(dir, 'supergraph.graphql');
    identity = await startTestIdentity({ signingSecret: TEST_SECRET, logger: silentLogger('identity') });
    profiles = await startTestProfiles({ signingSecret: TEST_SECRET, logger: silentLogger('profiles') });
    await writeFile(path, supergraph(false));
    router = await startTestRouter({
      identityUrl: identity.url,
      logger: logs.logger,
      supergraph: { kind: 'file', path, pollMs: 50, debounceMs: 20 },
    });
  });
  afterAll(async () => {
    await router.stop();
    await Promise.all([identity.stop(), profiles.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the file it started with', async () => {
    const res = await router.query('{ added }');
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect((await router.query('{ me { id bio } }', { token: identity.signToken({ sub: 'lou' }) })).body).toEqual({
      data: { me: { id: 'lou', bio: 'bio of lou read by lou' } },
    });
  });

  it('reloads a rewritten file without dropping a request in flight', async () => {
    const gate = profiles.holdSlow();
    const inFlight = router.query('{ slow }');
    await gate.entered;

    await writeFile(path, supergraph(true));
    await eventually(async () => ((await addedWorks()) ? true : undefined));

    gate.release();
    const slow = await inFlight;
    expect(slow.status).toBe(200);
    expect(slow.body).toEqual({ data: { slow: 'slow done' } });
  });

  it('ignores a file that does not load, keeps serving, and still picks up the next good one', async () => {
    await replaceFile('this is not a supergraph {');
    await eventually(async () => (logs.lines.some((l) => l.includes('ignoring a supergraph file')) ? true : undefined));
    expect(await addedWorks()).toBe(true);

    await replaceFile(supergraph(false));
    await eventually(async () => ((await router.query('{ added }')).status === 400 ? true : undefined));
    expect((await router.query('{ requestId }')).body.data?.requestId).toEqual(expect.any(String));
  });

  it('stops cleanly, twice', async () => {
    const extra = await startTestRouter({ identityUrl: identity.url, supergraph: { kind: 'file', path, pollMs: 50 } });
    await Promise.all([extra.stop(), extra.stop()]);
    await extra.stop();
    await expect(fetch(`${extra.url}/healthz`)).rejects.toThrow();
  });
});

describe('router: file mode start-up', () => {
  it('fails to start when the supergraph file is missing', async () => {
    await expect(
      startTestRouter({
        identityUrl: 'http://127.0.0.1:1',
        supergraph: { kind: 'file', path: join(tmpdir(), 'no-such-dir-xyz', 'supergraph.graphql'), pollMs: 1000 },
      }),
    ).rejects.toThrow(/ENOENT/);
  });
});
