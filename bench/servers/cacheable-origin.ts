/**
 * An origin whose pages are cacheable for an hour (for cache-hit benchmarks), 64-byte body like the
 * hello server. Usage: node --import tsx bench/servers/cacheable-origin.ts PORT
 */
import http from 'node:http';

const body = Buffer.alloc(64, 'x');
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'cache-control': 'public, max-age=3600' });
  res.end(body);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => process.exit(0));
