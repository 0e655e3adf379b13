// Loaded into a measured server with NODE_OPTIONS=--import=<this file> (bench/memory.bench.ts): on SIGUSR2
// it writes the process's memoryUsage() and V8 heap figures as JSON to `$BULWARK_MEMORY_PROBE.<pid>`.
// It adds one signal handler and nothing else (no timer: it never keeps a process alive).
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const out = process.env.BULWARK_MEMORY_PROBE;
if (out) {
  process.on('SIGUSR2', () => {
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]));
    writeFileSync(`${out}.${process.pid}`, JSON.stringify({ usage: process.memoryUsage(), spaces }));
  });
}
