/**
 * A TCP link to a real server (the stack's S3) that can lose the answers: while `muted`, a connection the server
 * answers on is lost for good — its answer, everything after, the server closing it — while the client's end stays
 * open: the request arrived and was carried out, the client hears nothing, as behind a middlebox that lost the
 * connection's state. Only a timeout of the client's own ends its wait. New connections work once unmuted.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class MuteLink {
  muted = false;
  /** Answers (chunks) dropped so far. */
  dropped = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<MuteLink> {
    const { hostname, port } = new URL(target);
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const link = new MuteLink(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    server.on('connection', (client) => {
      const upstream = createConnection({ host: hostname, port: Number(port) });
      link.sockets.add(client).add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
        link.sockets.delete(client);
        link.sockets.delete(upstream);
      };
      // a connection that lost an answer stays lost: nothing more reaches its client, not even the server closing it
      let lost = false;
      client.on('error', end).on('close', end);
      const serverGone = () => {
        if (!lost) end();
      };
      upstream.on('error', serverGone).on('close', serverGone);
      client.on('data', (chunk: Buffer) => upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => {
        lost ||= link.muted;
        if (lost) link.dropped++;
        else client.write(chunk);
      });
    });
    return link;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
