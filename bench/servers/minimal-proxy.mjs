// The reference proxy of the pass-through benchmark (bench/proxy.bench.ts): the least a correct streaming reverse proxy on undici does (Pool.stream per request, hop-by-hop headers dropped). Plain JS so no loader overhead skews it. Usage: node bench/servers/minimal-proxy.mjs PORT ORIGIN_URL
import "./steady-v8.mjs";
import http from "node:http";
import { Pool } from "undici";
const HOP = /* @__PURE__ */ new Set(["connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection", "trailer", "expect"]);
const pool = new Pool(process.argv[3], { connections: 256, pipelining: 1 });
const server = http.createServer((req, res) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  pool.stream({ path: req.url, method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? null : req }, ({ statusCode, headers: h }) => {
    const out = {};
    for (const [k, v] of Object.entries(h)) if (!HOP.has(k)) out[k] = v;
    res.writeHead(statusCode, out);
    return res;
  }).catch(() => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});
server.keepAliveTimeout = 6e4;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => process.stdout.write(`listening ${server.address().port}
`));
process.on("SIGTERM", () => process.exit(0));