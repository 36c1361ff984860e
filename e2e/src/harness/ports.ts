import { type AddressInfo, createServer } from 'node:net';

/** A TCP port that was free a moment ago (the OS picks it), for a process this run starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
