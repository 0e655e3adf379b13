// The load tool without wrk: autocannon run programmatically (its command line reads `[...]` as a
// sub-argument, so an `[<id>]` placeholder cannot be passed there). Prints autocannon's JSON result.
// Usage: node bench/servers/autocannon-run.mjs '{"url":...,"connections":N,"duration":S,"headers":{},"idReplacement":bool}'
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const autocannon = require("autocannon");
const options = JSON.parse(process.argv[2]);
const result = await autocannon({ ...options, renderProgressBar: false, renderResultsTable: false });
process.stdout.write(JSON.stringify(result));
