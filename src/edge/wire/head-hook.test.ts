/**
 * The head hook's attachment, in isolation: what it puts in a parser, and that everything it does not
 * answer reaches node:http's own callback with the same arguments and result. (Answers over real
 * sockets: test/decide/head-lane.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { createHeadHook } from './head-hook.ts';
import type { WireDeps } from './wire.ts';

const deps = {} as WireDeps;
const wire = { arm() {}, observe() {}, stats: () => ({ taken: 0, returned: 0, answered: 0 }) };

/** A parser shaped like node:http's, with a stand-in for its head-complete callback in slot 2. */
function fakeParser(calls: unknown[][]) {
  const parser: Record<number | string, unknown> = { socket: null, incoming: null, maxHeaderPairs: 4000 };
  parser[2] = function parserOnHeadersComplete(this: typeof parser, ...args: unknown[]) {
    calls.push(args);
    this.incoming = { method: 'PURGE' };
    return 7;
  };
  return parser;
}

test('attach: node:http\'s callback is replaced; a request it does not answer reaches the original with the same arguments and result', () => {
  const calls: unknown[][] = [];
  const parser = fakeParser(calls);
  const original = parser[2];
  const socket = new Socket() as Socket & { parser?: unknown };
  socket.parser = parser;
  parser.socket = socket;
  createHeadHook(deps, wire).attach(socket);
  assert.notEqual(parser[2], original, 'the hook took the slot');
  const args = [1, 1, ['Host', 'x'], 26, '/a', undefined, undefined, false, true];
  // No lane on the connection: node:http's path.
  assert.equal((parser[2] as (...a: unknown[]) => unknown).apply(parser, args), 7);
  assert.deepEqual(calls, [args]);
  // A response parser (the http client's: no method number) and a parser of a socket Bulwark never saw.
  const other = fakeParser(calls);
  other[2] = parser[2];
  other.socket = new Socket();
  const response = [1, 1, ['Server', 'x'], undefined, undefined, 200, 'OK', false, true];
  assert.equal((other[2] as (...a: unknown[]) => unknown).apply(other, response), 7);
  assert.deepEqual(calls.at(-1), response);
  socket.destroy();
  (other.socket as Socket).destroy();
});

test('attach: a parser without node:http\'s callback in place, or a socket without a parser, is left alone', () => {
  const hook = createHeadHook(deps, wire);
  const socket = new Socket() as Socket & { parser?: unknown };
  hook.attach(socket); // no parser: nothing to do
  const parser = fakeParser([]);
  const foreign = function somethingElse() {};
  parser[2] = foreign;
  socket.parser = parser;
  hook.attach(socket);
  assert.equal(parser[2], foreign, 'a slot holding another function is not touched');
  assert.equal(hook.stats().answered, 0);
  socket.destroy();
});
