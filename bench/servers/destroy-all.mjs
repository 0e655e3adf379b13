// The reference for drop-at-accept: a bare TCP server that destroys every socket it accepts.
// Usage: node bench/servers/destroy-all.mjs PORT
import net from "node:net";
const server = net.createServer((socket) => socket.destroy());
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => process.stdout.write(`listening ${server.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
