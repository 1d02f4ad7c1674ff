import net from 'node:net';

/** Which way bytes go: to the database, or back to the app. */
export type Direction = 'toServer' | 'toClient';

/**
 * A TCP proxy on a loopback port in front of a database, to make the network slow or silent:
 * - `delay(min, max)`: every chunk, either way, arrives a random min–max ms late (in order);
 * - `silence()`: nothing gets through any more (one way or both), on open connections and new
 *   ones, as when a network drops packets; `resume()` delivers what was held back, as TCP
 *   would once the network heals, all at once;
 * - `cut()`: open connections are reset, and new ones as soon as they open, until `resume()`.
 * A side that closes its end closes the other's after what is queued was delivered.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private readonly pipes = new Set<Pipe>();
  private delayMs: [number, number] = [0, 0];
  private readonly silent = new Set<Direction>();
  private refusing = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => proxy!.connect(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** Each chunk from now on waits a random time between `minMs` and `maxMs`. */
  delay(minMs: number, maxMs = minMs): void {
    this.delayMs = [minMs, maxMs];
  }

  /** Holds back every byte going `directions` (both ways by default). */
  silence(...directions: Direction[]): void {
    for (const direction of directions.length > 0 ? directions : (['toServer', 'toClient'] as const)) this.silent.add(direction);
  }

  /** Resets every open connection, and each new one, until `resume()`. */
  cut(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
  }

  resume(): void {
    this.refusing = false;
    this.silent.clear();
    for (const pipe of this.pipes) pipe.flush();
  }

  /** Closes every connection and the port. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private connect(client: net.Socket, target: { host: string; port: number }): void {
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target);
    const pipes = [new Pipe(client, upstream, 'toServer', this), new Pipe(upstream, client, 'toClient', this)];
    for (const pipe of pipes) this.pipes.add(pipe);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      // A reset on either side resets the other, as a real connection would end.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        this.sockets.delete(socket);
        if (!client.readable && !upstream.readable) for (const pipe of pipes) this.pipes.delete(pipe);
      });
    }
  }

  /** @internal */
  nextDelay(): number {
    const [min, max] = this.delayMs;
    return min + Math.random() * (max - min);
  }

  /** @internal */
  isSilent(direction: Direction): boolean {
    return this.silent.has(direction);
  }
}

/** One direction of a connection: chunks wait in a queue until they are due. */
class Pipe {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    from: net.Socket,
    private readonly to: net.Socket,
    private readonly direction: Direction,
    private readonly proxy: TcpProxy,
  ) {
    from.on('data', (chunk: Buffer) => {
      // Never before the chunk ahead of it: the byte stream keeps its order.
      const due = Math.max(Date.now() + proxy.nextDelay(), this.queue.at(-1)?.due ?? 0);
      this.queue.push({ due, chunk });
      this.flush();
    });
    from.on('end', () => {
      this.ended = true;
      this.flush();
    });
  }

  /** Writes what is due, in one write (so the other side may read it as one chunk). */
  flush(): void {
    if (this.proxy.isSilent(this.direction) || this.timer || this.to.destroyed) return;
    const due: Buffer[] = [];
    while (this.queue.length > 0 && this.queue[0].due <= Date.now()) due.push(this.queue.shift()!.chunk);
    if (due.length > 0) this.to.write(Buffer.concat(due));
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.queue[0].due - Date.now());
    } else if (this.ended) {
      this.to.end();
    }
  }
}
