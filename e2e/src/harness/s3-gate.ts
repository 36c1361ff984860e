/**
 * A TCP pass-through in front of the S3 server for one service process, which can stop one HTTP request on its
 * way: before it reaches S3 (`request`: nothing written) or after S3 answered (`response`: written, the process
 * does not know). A test arms a trap for a request line (e.g. the PUT of a Delta commit or of a data file), waits
 * until a request is held, kills the process, and releases. This puts a kill -9 exactly mid-commit or mid-upload
 * without any test code in the services themselves.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type HoldPhase = 'request' | 'response';

export interface Held {
  method: string;
  path: string;
  /** Lets the held bytes through (a no-op once the process is gone). */
  release(): void;
}

interface Trap {
  match: RegExp;
  phase: HoldPhase;
  resolve: (held: Held) => void;
}

const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.1\r\n/;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export class S3Gate {
  private trap: Trap | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(target: string): Promise<S3Gate> {
    const url = new URL(target);
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const gate = new S3Gate(server, `http://127.0.0.1:${port}`);
    server.on('connection', (client) => gate.pipe(client, url.hostname, Number(url.port || 80)));
    return gate;
  }

  /** Holds the next request whose `METHOD path` matches; resolves once it is held. */
  hold(match: RegExp, phase: HoldPhase): Promise<Held> {
    if (this.trap) throw new Error('a trap is already armed');
    return new Promise((resolve) => {
      this.trap = { match, phase, resolve };
    });
  }

  /** Disarms a trap that has not caught anything. */
  disarm(): void {
    this.trap = undefined;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: Socket, host: string, port: number): void {
    const upstream = createConnection({ host, port });
    this.sockets.add(client).add(upstream);
    const up = new Valve(upstream);
    const down = new Valve(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
    let respond: ((held: Held) => void) | undefined;
    let caught: Held | undefined;

    client.on('data', (chunk: Buffer) => {
      const line = REQUEST_LINE.exec(chunk.toString('latin1', 0, Math.min(chunk.length, 4096)));
      const trap = this.trap;
      if (line && trap?.match.test(`${line[1]} ${line[2]}`)) {
        this.trap = undefined;
        caught = { method: line[1] as string, path: line[2] as string, release: () => {} };
        if (trap.phase === 'request') {
          up.close();
          const held = caught;
          held.release = () => up.open();
          up.write(chunk);
          trap.resolve(held);
          return;
        }
        // response: the request goes through, S3's answer is held once it starts to arrive
        down.close(CONTINUE);
        const held = caught;
        held.release = () => down.open();
        respond = () => trap.resolve(held);
      }
      up.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      down.write(chunk);
      if (respond && down.holding()) {
        const r = respond;
        respond = undefined;
        r(caught as Held);
      }
    });
  }
}

/** A one-way byte stream that can be shut (bytes queue up) and opened again (they flow, in order). */
class Valve {
  private queue: Buffer[] | undefined;
  private pass: string | undefined;

  constructor(private readonly to: Socket) {}

  /** Shut; `pass` is a prefix still let through (HTTP's `100 Continue`, which precedes the real answer). */
  close(pass?: string): void {
    this.queue ??= [];
    this.pass = pass;
  }

  holding(): boolean {
    return (this.queue?.length ?? 0) > 0;
  }

  write(chunk: Buffer): void {
    if (!this.queue) {
      this.to.write(chunk);
      return;
    }
    if (this.pass && chunk.toString('latin1').startsWith(this.pass)) {
      this.to.write(chunk.subarray(0, this.pass.length));
      chunk = chunk.subarray(this.pass.length);
      this.pass = undefined;
      if (chunk.length === 0) return;
    }
    this.queue.push(chunk);
  }

  open(): void {
    const queued = this.queue ?? [];
    this.queue = undefined;
    if (this.to.destroyed) return;
    for (const chunk of queued) this.to.write(chunk);
  }
}
