import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server that cuts its connections where a test says, which is
 * what a server crash or a dropped network path looks like to the driver ("connection closed" in
 * the middle of a request), at a point the test chooses rather than one a timer hopes to hit.
 */

interface Pair {
  client: Socket;
  server: Socket;
  /** Bytes the client sent since the proxy was armed. */
  sent: number;
  /** Replies withheld: the request stays in flight until the connection is cut. */
  frozen: boolean;
}

/** A connection whose replies are withheld. */
export interface FrozenConnection {
  /** Closes it (both sides), as a server going away would. */
  cut(): void;
}

export class CuttingProxy {
  private readonly server: Server;
  private readonly pairs = new Set<Pair>();
  private freezeAt: { bytes: number; resolve: (frozen: FrozenConnection) => void } | undefined;
  /** Connections cut so far. */
  cuts = 0;

  private constructor(private readonly upstream: { host: string; port: number }) {
    this.server = createServer((client) => this.pipe(client));
  }

  /** Starts a proxy to `upstreamUrl`'s host and port (e.g. `mongodb://127.0.0.1:27027`). */
  static async start(upstreamUrl: string): Promise<CuttingProxy> {
    const url = new URL(upstreamUrl);
    const proxy = new CuttingProxy({ host: url.hostname, port: Number(url.port) });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * Resolves with the first connection (not frozen yet) whose client sends `bytes` from now on, its
   * replies withheld from then on, so its request stays in flight until the test cuts it.
   */
  freezeWhenSent(bytes: number): Promise<FrozenConnection> {
    for (const pair of this.pairs) pair.sent = 0;
    return new Promise((resolve) => {
      this.freezeAt = { bytes, resolve };
    });
  }

  /** Closes every connection but `except`'s. */
  cutAll(except?: FrozenConnection): void {
    for (const pair of [...this.pairs]) if (pair !== (except as unknown)) this.cut(pair);
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private cut(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    this.cuts++;
    pair.client.destroy();
    pair.server.destroy();
  }

  private pipe(client: Socket): void {
    const pair: Pair = { client, server: connect(this.upstream.port, this.upstream.host), sent: 0, frozen: false };
    this.pairs.add(pair);
    const drop = (): void => {
      this.pairs.delete(pair);
      pair.client.destroy();
      pair.server.destroy();
    };
    client.on('data', (data: Buffer) => {
      pair.sent += data.length;
      if (this.freezeAt && !pair.frozen && pair.sent >= this.freezeAt.bytes) {
        const { resolve } = this.freezeAt;
        this.freezeAt = undefined;
        pair.frozen = true;
        const handle: FrozenConnection = Object.assign(pair, { cut: () => this.cut(pair) });
        resolve(handle);
      }
      pair.server.write(data);
    });
    pair.server.on('data', (data: Buffer) => {
      if (!pair.frozen) client.write(data);
    });
    client.on('close', drop).on('error', drop);
    pair.server.on('close', drop).on('error', drop);
  }
}
