import net from 'node:net';

interface Link {
  client: net.Socket;
  server: net.Socket;
  /** The client's connection name (CLIENT SETNAME), once seen. */
  name: string | undefined;
  /** Replies held back while frozen. */
  frozen: Buffer[] | undefined;
  /** Bytes per second the replies are slowed to (0: not slowed). */
  rate: number;
}

/**
 * A TCP proxy on a private loopback port in front of a test Redis, which can slow down or hold back
 * the replies to the connections of one name (ioredis sends CLIENT SETNAME first), so that tests can
 * make a reply take long, or never arrive, deterministically.
 */
export class RedisProxy {
  private readonly links: Link[] = [];
  private readonly rates = new Map<string, number>();
  private readonly server = net.createServer((client) => this.link(client));

  constructor(private readonly targetPort: number) {}

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `redis://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** Connections opened so far under this name. */
  connections(name: string): number {
    return this.links.filter((l) => l.name === name).length;
  }

  /** From now on, replies to connections of this name arrive at about `bytesPerSecond`. */
  slowDown(name: string, bytesPerSecond: number): void {
    this.rates.set(name, bytesPerSecond);
    for (const l of this.links) if (l.name === name) l.rate = bytesPerSecond;
  }

  /** Holds back every reply to the open connections of this name (new connections are not affected). */
  freeze(name: string): void {
    for (const l of this.links) if (l.name === name && !l.client.destroyed) l.frozen ??= [];
  }

  /** Cuts the open connections of this name (both sides), as a network failure would. */
  drop(name: string): void {
    for (const l of this.links) {
      if (l.name !== name) continue;
      l.client.destroy();
      l.server.destroy();
    }
  }

  async close(): Promise<void> {
    for (const l of this.links) {
      l.client.destroy();
      l.server.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private link(client: net.Socket): void {
    const server = net.connect(this.targetPort, '127.0.0.1');
    const link: Link = { client, server, name: undefined, frozen: undefined, rate: 0 };
    this.links.push(link);
    let seen = '';
    client.on('data', (chunk: Buffer) => {
      if (link.name === undefined && seen.length < 4096) {
        seen += chunk.toString('latin1');
        const m = /SETNAME\r\n\$\d+\r\n([^\r]+)\r\n/i.exec(seen);
        if (m) {
          link.name = m[1];
          link.rate = this.rates.get(m[1] as string) ?? 0;
        }
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (link.frozen) {
        link.frozen.push(chunk);
        return;
      }
      client.write(chunk);
      if (link.rate > 0) {
        server.pause();
        setTimeout(() => server.resume(), Math.max(1, Math.round((chunk.length / link.rate) * 1000)));
      }
    });
    const end = (): void => {
      client.destroy();
      server.destroy();
    };
    client.on('error', end);
    server.on('error', end);
    client.on('close', end);
    server.on('close', end);
  }
}
