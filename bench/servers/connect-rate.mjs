// Offered connection load: RATE connection attempts per second from LOCAL_ADDRESS to PORT for SECONDS,
// whatever becomes of them (a kernel drop never answers: each attempt is given up after 200 ms). Prints
// "attempts N connected N closed_by_server N" at the end. Loopback only.
// Usage: node bench/servers/connect-rate.mjs PORT LOCAL_ADDRESS SECONDS RATE
import net from "node:net";
const [port, localAddress, seconds, rate] = process.argv.slice(2);
if (!/^127\./.test(localAddress)) throw new Error("loopback only");
const t0 = Date.now();
const until = t0 + Number(seconds) * 1000;
let attempts = 0;
let connected = 0;
let closedByServer = 0;
function one() {
  attempts++;
  const s = net.connect({ port: Number(port), host: "127.0.0.1", localAddress });
  let up = false;
  s.on("connect", () => { up = true; connected++; });
  s.on("error", () => {});
  s.on("close", () => { if (up) closedByServer++; });
  setTimeout(() => s.destroy(), 200);
}
await new Promise((resolve) => {
  const tick = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) / 1000) * Number(rate));
    while (attempts < due) one();
    if (Date.now() >= until) { clearInterval(tick); setTimeout(resolve, 300); }
  }, 2);
});
process.stdout.write(`attempts ${attempts} connected ${connected} closed_by_server ${closedByServer}\n`);
