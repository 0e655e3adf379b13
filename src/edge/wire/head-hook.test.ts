/**
 * The head hook's attachment, in isolation: when it takes a parser's head-complete slot, that
 * everything it does not answer reaches node:http's own callback with the same arguments and result,
 * and that a closed connection's parser gets node's callback back. (Answers over real sockets:
 * test/decide/head-lane.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { connectionMemo } from '../../pipeline/connection-memo.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import type { Lane } from '../../pipeline/lane/refusal-lane.ts';
import { createHeadHook } from './head-hook.ts';
import type { HeadRunDeps } from './head-run.ts';
import type { WireDeps } from './wire.ts';

const deps = {} as WireDeps;
const wire = { arm() {}, observe() {}, stats: () => ({ taken: 0, returned: 0, answered: 0 }) };
/** The proxy server's part: never reached here (no request these tests send is run at the head). */
const runner = {} as HeadRunDeps;

/** What the stand-in for node:http's callback was called with. */
const calls: unknown[][] = [];

/** The stand-in: one function, as node:http's is one function shared by every parser. */
function parserOnHeadersComplete(this: Record<string, unknown>, ...args: unknown[]): number {
  calls.push(args);
  this.incoming = { method: 'PURGE' };
  return 7;
}

/** A parser shaped like node:http's, with the stand-in in slot 2. */
function fakeParser() {
  const parser: Record<number | string, unknown> = { socket: null, incoming: null, maxHeaderPairs: 4000 };
  parser[2] = parserOnHeadersComplete;
  return parser;
}

/** A connection with that parser, as node:http sets one up, and a refused request on it. */
function connection(parser: Record<number | string, unknown>, lane: boolean) {
  const socket = new Socket() as Socket & { parser?: unknown };
  socket.parser = parser;
  parser.socket = socket;
  if (lane) connectionMemo(socket).lane = {} as Lane;
  const ctx = { outcome: 'limited', req: { socket, url: '/', rawHeaders: ['Host', 'x'] } } as unknown as RequestContext;
  return { socket, ctx };
}

test('attach: a connection with node:http\'s parser; then a request the hook does not answer reaches node:http\'s callback unchanged', () => {
  calls.length = 0;
  const hook = createHeadHook(deps, wire, runner);
  const parser = fakeParser();
  const original = parser[2];
  const unparsed = connection(fakeParser(), false);
  (unparsed.socket as Socket & { parser?: unknown }).parser = null; // an HTTP/2 connection has no node:http parser
  hook.attach(unparsed.ctx);
  assert.equal(connectionMemo(unparsed.socket).head, null, 'no parser: not attached');
  const { socket, ctx } = connection(parser, true);
  hook.attach(ctx);
  assert.notEqual(parser[2], original, 'the hook took the slot');
  connectionMemo(socket).lane = null; // the lane ended
  // A method the hook does not run at the head (PURGE): node:http's path.
  const args = [1, 1, ['Host', 'x'], 26, '/a', undefined, undefined, false, true];
  assert.equal((parser[2] as (...a: unknown[]) => unknown).apply(parser, args), 7);
  assert.deepEqual(calls, [args]);
  // Parsers are pooled: on a parser now serving a socket Bulwark never saw, and for a response (the
  // http client's: no method number), the hook is node's callback.
  const other = fakeParser();
  other[2] = parser[2];
  other.socket = new Socket();
  const response = [1, 1, ['Server', 'x'], undefined, undefined, 200, 'OK', false, true];
  assert.equal((other[2] as (...a: unknown[]) => unknown).apply(other, response), 7);
  assert.deepEqual(calls.at(-1), response);
  for (const s of [socket, unparsed.socket, other.socket as Socket]) s.destroy();
});

test('a closed connection\'s parser gets node:http\'s callback back, unless another connection holds it by then', async () => {
  const hook = createHeadHook(deps, wire, runner);
  const freed = fakeParser();
  const original = freed[2];
  const a = connection(freed, true);
  hook.attach(a.ctx);
  assert.notEqual(freed[2], original);
  freed.socket = null; // node:http freed it to its pool on close
  a.socket.destroy();
  await new Promise((resolve) => a.socket.once('close', resolve));
  assert.equal(freed[2], original, 'restored');

  const reused = fakeParser();
  const b = connection(reused, true);
  hook.attach(b.ctx);
  const hooked = reused[2];
  reused.socket = new Socket(); // freed on an upgrade and taken by another connection before this one closed
  b.socket.destroy();
  await new Promise((resolve) => b.socket.once('close', resolve));
  assert.equal(reused[2], hooked, 'left to the connection that holds it');
  (reused.socket as Socket).destroy();
});

test('attach: a parser without node:http\'s callback in place is left alone', () => {
  const hook = createHeadHook(deps, wire, runner);
  const parser = fakeParser();
  const foreign = function somethingElse() {};
  parser[2] = foreign;
  const { socket, ctx } = connection(parser, true);
  hook.attach(ctx);
  assert.equal(parser[2], foreign, 'a slot holding another function is not touched');
  assert.equal(connectionMemo(socket).head, null);
  assert.equal(hook.stats().answered, 0);
  socket.destroy();
});
