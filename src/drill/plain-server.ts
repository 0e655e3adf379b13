/**
 * A plain node:http server (no Bulwark, no fixture logic) for tests of the drill's clients and for
 * "what does bare Node do" comparisons: records what it received (method, URL, headers and their order,
 * socket peer, body size; at most 100 000 requests) and answers 200 "ok" unless a handler is given.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { once } from 'node:events';

/** One request the plain server saw. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly peer: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaderNames: readonly string[];
  readonly bodyBytes: number;
}

/** A running plain server. */
export interface PlainServer {
  readonly server: http.Server;
  readonly port: number;
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Sockets accepted in total and open now. */
  connections(): { readonly accepted: number; readonly open: number };
  close(): Promise<void>;
}

/**
 * Starts a plain node:http server on 127.0.0.1:0 with `options` (Node's own: headersTimeout,
 * requestTimeout, connectionsCheckingInterval, …) and an optional handler called once the body was read.
 */
export async function startPlainServer(options: http.ServerOptions = {}, handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<PlainServer> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = http.createServer(options, (req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => {
      if (seen.length < 100_000) {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          peer: req.socket.remoteAddress ?? '',
          headers: req.headers,
          rawHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
          bodyBytes,
        });
      }
      if (handler) return handler(req, res);
      res.end('ok');
    });
  });
  server.on('connection', (s: Socket) => {
    accepted++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    connections: () => ({ accepted, open: sockets.size }),
    async close() {
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
