// The load tool without wrk: autocannon run programmatically (its command line reads `[...]` as a
// sub-argument, so an `[<id>]` placeholder cannot be passed there). Prints autocannon's JSON result.
// Usage: node bench/servers/autocannon-run.mjs '{"url":...,"connections":N,"duration":S,"headers":{},"idReplacement":bool}'
// A `rotate: {header, values}` field sets that header to the next of `values` on every request, over all
// connections in turn (a botnet rotating user agents); `stacks: [{...headers}, ...]` sends the next whole
// header set (after the given headers) on every request instead.
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const autocannon = require("autocannon");
const { rotate, stacks, ...options } = JSON.parse(process.argv[2]);
let n = 0;
if (rotate !== undefined) {
  options.requests = [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, [rotate.header]: rotate.values[n++ % rotate.values.length] } }) }];
} else if (stacks !== undefined) {
  options.requests = [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...stacks[n++ % stacks.length] } }) }];
}
const result = await autocannon({ ...options, renderProgressBar: false, renderResultsTable: false });
process.stdout.write(JSON.stringify(result));
