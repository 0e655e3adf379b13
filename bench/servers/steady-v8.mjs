// What every reference server imports first, so that it stays at its best speed for its whole life, as
// Bulwark does (src/main/tick-shape.ts, src/edge/instance-size.ts): without it, a reference process can
// slow down for good mid-run (a bare 429 server was seen going from 11.0 to 13.9 µs per request between
// two phases of one run), and every ratio after that flatters Bulwark.
// - Holds one nextTick object for life: V8's caches for the computed-key stores of Node's nextTick turn
//   megamorphic for good when full collections run while no tick is queued.
// - Fixes the size of node:http's request and response objects now, while instances with a whole
//   request's fields exist (V8's slack tracking can otherwise leave them no in-object room).
import { createHook } from "node:async_hooks";
import http from "node:http";
import { Socket } from "node:net";

let held; // module scope: held for the life of the process
const hook = createHook({ init(_id, type, _trigger, resource) { if (type === "TickObject" && held === undefined) held = resource; } }).enable();
process.nextTick(() => {});
hook.disable();

const req = { method: "GET", httpVersionMajor: 1, httpVersionMinor: 1, headers: {} };
const keep = [];
const first = new http.ServerResponse(req);
first.shouldKeepAlive = true;
first._maxRequestsPerSocket = 0;
first.writeHead(200, ["content-length", "0"]);
keep.push(first, new http.IncomingMessage(new Socket()));
for (let i = 0; i < 16; i++) keep.push(new http.ServerResponse(req), new http.IncomingMessage(new Socket()));
keep.length = 0;
