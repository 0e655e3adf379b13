// The reference for the rapid-reset benchmark: node:http2's own TLS server doing nothing with a stream
// (the client resets it anyway). Usage: node bench/servers/h2-nothing.mjs CERT KEY
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
const server = http2.createSecureServer({ cert: readFileSync(process.argv[2]), key: readFileSync(process.argv[3]) });
server.on('stream', (stream) => stream.on('error', () => {}));
server.on('sessionError', () => {});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
