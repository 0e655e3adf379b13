// The drill's raw-frame HTTP/2 attacker as a benchmark load: runs one flood and prints its result as JSON.
// Usage: node --import tsx bench/servers/h2-attack.ts URL KIND RATE SECONDS SOURCES
import { runH2Flood, type H2FloodKind } from '../../src/drill/attackers/h2-floods.ts';

const [url, kind, rate, seconds, sources] = process.argv.slice(2);
const r = await runH2Flood({
  kind: kind as H2FloodKind,
  target: url!,
  ratePerS: Number(rate),
  sources: Number(sources),
  sourceRange: { spread: 'many_24', block: 1 },
  connections: 16,
  bounds: { maxRequests: 10_000_000, maxDurationMs: Number(seconds) * 1000, maxSockets: 64 },
});
process.stdout.write(JSON.stringify(r) + '\n');
process.exit(0);
