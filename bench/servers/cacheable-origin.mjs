// An origin whose pages are cacheable for an hour (cache-hit benchmarks), 64-byte body. Usage: node bench/servers/cacheable-origin.mjs PORT
import http from "node:http";
const body = Buffer.alloc(64, "x");
const server = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length, "cache-control": "public, max-age=3600" });
  res.end(body);
});
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => process.stdout.write(`listening ${server.address().port}
`));
process.on("SIGTERM", () => process.exit(0));