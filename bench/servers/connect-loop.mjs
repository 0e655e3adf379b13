// Load for drop-at-accept: N parallel loops that connect from LOCAL_ADDRESS, wait for the server to
// close, and connect again, for SECONDS; prints "connections N" (closed by the server) at the end.
// Loopback only. Usage: node bench/servers/connect-loop.mjs PORT LOCAL_ADDRESS SECONDS [PARALLEL]
import net from "node:net";
const [port, localAddress, seconds, parallel = "64"] = process.argv.slice(2);
if (!/^127\./.test(localAddress)) throw new Error("loopback only");
const until = Date.now() + Number(seconds) * 1000;
let done = 0;
function loop() {
  if (Date.now() >= until) return Promise.resolve();
  return new Promise((resolve) => {
    const s = net.connect({ port: Number(port), host: "127.0.0.1", localAddress });
    s.on("error", () => {});
    s.on("close", () => { done++; resolve(); });
  }).then(loop);
}
await Promise.all(Array.from({ length: Number(parallel) }, loop));
process.stdout.write(`connections ${done}\n`);
