import { sendJson, type Route } from './http';
import type { ServiceMetrics } from './metrics';

export interface ProbeRoutesOptions {
  /** Reported as `service` by `/healthz` and `/readyz`. */
  service: string;
  /** Names of the dependencies that are not healthy now (empty when all are). */
  failedChecks: () => Promise<string[]>;
  /** True once the server drains: `/readyz` answers 503 so load balancers stop sending traffic. */
  draining: () => boolean;
  metrics: ServiceMetrics;
}

/** `/healthz` (alive), `/readyz` (dependencies healthy and not draining) and `/metrics` (Prometheus), as every server serves them. */
export function probeRoutes(options: ProbeRoutesOptions): Route[] {
  const { service, metrics } = options;
  return [
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { status: 'ok', service }) },
    {
      method: 'GET',
      path: '/readyz',
      async handler(_req, res) {
        const failed = await options.failedChecks();
        const ready = failed.length === 0 && !options.draining();
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', service, failed });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      async handler(_req, res) {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      },
    },
  ];
}
