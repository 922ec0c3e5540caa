import { silentLogger } from './support/logs';
import { startTestIdentity, type TestIdentity } from './support/testIdentity';
import { startTestProfiles, type TestProfiles } from './support/testProfiles';
import { startTestRouter, TEST_SECRET, type TestRouter } from './support/testGraph';

/**
 * The router's `/readyz` reflects every subgraph's readiness, not only that it is alive: a
 * subgraph that listens but whose store cannot serve takes the router out of rotation.
 */
describe('router: readiness follows the subgraphs', () => {
  let identity: TestIdentity;
  let profiles: TestProfiles;
  let router: TestRouter;
  let storeFailure: Error | undefined;

  beforeAll(async () => {
    identity = await startTestIdentity({ signingSecret: TEST_SECRET, logger: silentLogger('identity') });
    profiles = await startTestProfiles({
      signingSecret: TEST_SECRET,
      logger: silentLogger('profiles'),
      readiness: [
        {
          name: 'document-store',
          check: async () => {
            if (storeFailure) throw storeFailure;
          },
        },
      ],
    });
    router = await startTestRouter({
      identityUrl: identity.url,
      supergraph: {
        kind: 'composed',
        subgraphs: [
          { name: 'identity', url: identity.graphqlUrl },
          { name: 'profiles', url: profiles.graphqlUrl },
        ],
      },
    });
  });

  afterAll(async () => {
    await router.stop();
    await Promise.all([identity.stop(), profiles.stop()]);
  });

  const readyz = async (): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${router.url}/readyz`);
    return { status: res.status, body: await res.json() };
  };

  it('is not ready while a live subgraph reports not-ready, and ready again once it recovers', async () => {
    expect(await readyz()).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready', failed: [] }) });

    storeFailure = new Error('embedded store cannot open collection profiles: corrupt');
    // The subgraph itself is alive (healthz 200) but not ready.
    expect((await fetch(`${profiles.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${profiles.url}/readyz`)).status).toBe(503);
    expect(await readyz()).toEqual({ status: 503, body: expect.objectContaining({ status: 'not-ready', failed: ['profiles'] }) });

    storeFailure = undefined;
    expect(await readyz()).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready', failed: [] }) });
  });
});
