/**
 * An HTTP front to the S3 server that can misbehave the ways object stores do. In `drop` mode it behaves like a
 * store without put-if-absent: it removes `If-None-Match` from every PUT and signs the request again (SigV4 covers
 * that header, so dropping it alone would only turn the PUT into a signature error). The server then overwrites the
 * key and answers 200, exactly what a proxy that strips conditional headers, or an S3-compatible server that
 * ignores them, does; the committer must notice through its put-if-absent probe and refuse to lead. In `pass` mode
 * every request goes through untouched, except for the {@link S3Faults} set on it: throttling and server errors
 * (503 SlowDown, 500 InternalError) answered before S3 sees the request, or after S3 carried it out — the write
 * happened, the client is told it failed — answers held back for seconds (a slow store), and answers that never
 * come on a connection that stays open.
 */
import { createHash, createHmac } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

export type FrontMode = 'pass' | 'drop';

/** Faults the front injects while set; each request draws its own luck (`rate` is a probability). */
export interface S3Faults {
  /** Answer an error: `before` S3 sees the request (nothing done), or `after` S3 carried it out. */
  error?: { status: 500 | 503; rate: number; phase: 'before' | 'after'; match?: RegExp };
  /** Hold S3's answer this long (it was carried out on time; the client hears of it late). */
  slow?: { delayMs: number; rate: number; match?: RegExp };
  /**
   * Never answer (the request was carried out; the connection stays open and silent, as behind a middlebox that
   * lost its state): only a timeout of the client's own ends the wait.
   */
  hang?: { rate: number; match?: RegExp };
}

const S3_ERRORS = {
  503: ['SlowDown', 'Please reduce your request rate.'],
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
} as const;

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** SHA-256 (and HMAC-SHA-256 with a secret) in the shape SignatureV4 takes. */
class NodeSha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  private readonly secret: string | Uint8Array | undefined;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

export class S3Front {
  mode: FrontMode;
  /** PUTs whose If-None-Match this front dropped. */
  dropped = 0;
  faults: S3Faults = {};
  /** Requests answered with an injected error, answers held back, requests never answered. */
  readonly injected = { errors: 0, slow: 0, hung: 0 };
  private readonly hung = new Set<ServerResponse>();
  /** Where each request's luck comes from (a seeded source makes the draws repeatable). */
  random: () => number = Math.random;
  private readonly signer: SignatureV4;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly target: URL,
    credentials: S3Credentials,
    mode: FrontMode,
  ) {
    this.mode = mode;
    this.signer = new SignatureV4({
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      region: credentials.region,
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  static async start(target: string, credentials: S3Credentials, mode: FrontMode = 'drop'): Promise<S3Front> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const front = new S3Front(server, `http://127.0.0.1:${port}`, new URL(target), credentials, mode);
    server.on('request', (req, res) => {
      // a client that gives up (its timeout, a killed process) resets the connection: that ends this exchange
      // and is no error of the front's
      req.on('error', () => undefined);
      res.on('error', () => undefined);
      front.forward(req, res).catch((error: unknown) => {
        if (res.destroyed) return;
        if (!res.headersSent) res.writeHead(502);
        res.end(String(error));
      });
    });
    return front;
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const line = `${req.method} ${req.url}`;
    const { error, slow, hang } = this.faults;
    const fail = error && (error.match?.test(line) ?? true) && this.random() < error.rate ? error : undefined;
    const delayMs = slow && (slow.match?.test(line) ?? true) && this.random() < slow.rate ? slow.delayMs : 0;
    const silent =
      !fail && hang !== undefined && (hang.match?.test(line) ?? true) && this.random() < hang.rate;
    if (fail?.phase === 'before') {
      req.resume();
      await once(req, 'end');
      this.answerError(res, fail.status);
      return;
    }
    const headers = { ...req.headers } as Record<string, string>;
    if (this.mode === 'drop' && req.method === 'PUT' && headers['if-none-match'] !== undefined) {
      this.dropped++;
      delete headers['if-none-match'];
      delete headers.authorization;
      const url = new URL(req.url ?? '/', this.endpoint);
      const [hostname, port] = (headers.host ?? '').split(':');
      const signed = await this.signer.sign({
        method: 'PUT',
        protocol: 'http:',
        hostname: hostname ?? '127.0.0.1',
        ...(port ? { port: Number(port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        // the payload hash the client computed stays valid: the body is forwarded unchanged
        headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'x-amz-date')),
      });
      Object.assign(headers, signed.headers);
    }
    const upstream = httpRequest({
      host: this.target.hostname,
      port: Number(this.target.port || 80),
      method: req.method,
      path: req.url,
      headers,
    });
    req.pipe(upstream);
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy(); // the client went away before its answer
    });
    const [answer] = (await once(upstream, 'response')) as [IncomingMessage];
    upstream.on('error', () => res.destroy());
    answer.on('error', () => res.destroy());
    if (fail) {
      answer.resume();
      await once(answer, 'end');
      this.answerError(res, fail.status);
      return;
    }
    if (silent) {
      this.injected.hung++;
      answer.resume();
      this.hung.add(res);
      res.once('close', () => this.hung.delete(res));
      return;
    }
    if (delayMs > 0) {
      this.injected.slow++;
      // the whole answer is read first, so S3 is done with the request while the client waits
      const body: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => body.push(chunk));
      await once(answer, 'end');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (res.destroyed) return;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.end(Buffer.concat(body));
      return;
    }
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
    await once(answer, 'end');
  }

  /** An S3 error answer as the service writes it (XML body, the code the SDKs retry on). */
  private answerError(res: ServerResponse, status: 500 | 503): void {
    this.injected.errors++;
    const [code, message] = S3_ERRORS[status];
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>e2e-front</RequestId></Error>`;
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
