// The reference for the handshake benchmark: node:tls's own server with the same certificates (RSA and
// ECDSA in one context), doing nothing with a connection. Usage: node bench/servers/tls-nothing.mjs CERT KEY CERT2 KEY2
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
const [cert, key, cert2, key2] = process.argv.slice(2);
const server = tls.createServer({ cert: [readFileSync(cert), readFileSync(cert2)], key: [readFileSync(key), readFileSync(key2)], ALPNProtocols: ['h2', 'http/1.1'] }, (s) => s.on('error', () => {}));
server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
