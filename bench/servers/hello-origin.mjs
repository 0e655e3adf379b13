// The benchmark origin: a bare node:http server answering a small fixed body with keep-alive. Usage: node bench/servers/hello-origin.mjs PORT [BODY_BYTES]
import "./steady-v8.mjs";
import http from "node:http";
const port = Number(process.argv[2] ?? 0);
const body = Buffer.alloc(Number(process.argv[3] ?? 64), "x");
const server = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
  res.end(body);
});
server.keepAliveTimeout = 6e4;
server.listen(port, "127.0.0.1", () => process.stdout.write(`listening ${server.address().port}
`));
process.on("SIGTERM", () => process.exit(0));