/**
 * The reference proxy of issue #2's benchmark: the least a correct streaming reverse proxy on undici
 * does (~30 lines): Pool.stream per request, hop-by-hop headers dropped, status and headers relayed.
 * Usage: node --import tsx bench/servers/minimal-proxy.ts PORT ORIGIN_URL
 */
import http from 'node:http';
import { Pool } from 'undici';

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection', 'trailer', 'expect']);
const pool = new Pool(process.argv[3]!, { connections: 256, pipelining: 1 });
const server = http.createServer((req, res) => {
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  pool
    .stream({ path: req.url!, method: req.method as 'GET', headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req }, ({ statusCode, headers: h }) => {
      const out: Record<string, string | string[] | undefined> = {};
      for (const [k, v] of Object.entries(h)) if (!HOP.has(k)) out[k] = v;
      res.writeHead(statusCode, out);
      return res;
    })
    .catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => process.exit(0));
