// TLS handshakes as fast as `concurrency` allows for SECONDS, each on a new connection closed right
// after it: full handshakes, or resumed ones (each connection presents the session ticket of an earlier
// one). Loopback only. Prints one JSON line. Usage: node bench/servers/tls-handshakes.mjs PORT SECONDS CONCURRENCY full|resume [SIGALGS]
import net from 'node:net';
import tls from 'node:tls';

const [portText, secondsText, concurrencyText, mode, sigalgs] = process.argv.slice(2);
const port = Number(portText);
const until = Date.now() + Number(secondsText) * 1000;
let handshakes = 0;
let resumed = 0;
let errors = 0;
let session;

function one() {
  return new Promise((resolve) => {
    const tcp = net.connect({ host: '127.0.0.1', port });
    tcp.on('error', () => {});
    const s = tls.connect({ socket: tcp, servername: 'bench.test', rejectUnauthorized: false, session: mode === 'resume' ? session : undefined, sigalgs: sigalgs || undefined });
    s.on('session', (x) => { if (mode === 'resume') session = x; });
    s.once('secureConnect', () => {
      handshakes++;
      if (s.isSessionReused()) resumed++;
      // TLS 1.3 sends its ticket after the handshake: wait for it on the first connections.
      if (mode === 'resume' && session === undefined) s.once('session', () => { s.destroy(); resolve(); });
      else { s.destroy(); resolve(); }
    });
    s.once('error', () => { errors++; s.destroy(); resolve(); });
  });
}

async function loop() {
  while (Date.now() < until) await one();
}
const started = Date.now();
await Promise.all(Array.from({ length: Number(concurrencyText) }, loop));
const elapsed = (Date.now() - started) / 1000;
process.stdout.write(JSON.stringify({ handshakes, resumed, errors, perSecond: handshakes / elapsed }) + '\n');
process.exit(0);
