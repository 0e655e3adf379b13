// The reference for the rejection path: a bare node:http server answering 429 to everything (keep-alive).
// Usage: node bench/servers/reject-429.mjs PORT
import "./steady-v8.mjs";
import http from "node:http";
const body = "Too Many Requests\n";
const server = http.createServer((_req, res) => {
  res.writeHead(429, { "content-type": "text/plain", "content-length": body.length, "retry-after": "1" });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => process.stdout.write(`listening ${server.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
