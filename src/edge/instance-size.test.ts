import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWithV8Print } from '../../test/helpers/v8-print.ts';
import { settleInstanceSize } from './instance-size.ts';

const NODE_SERVER = new URL('./node-server.ts', import.meta.url).href;
const HEAD = new URL('../pipeline/pages/prepared-head.ts', import.meta.url).href;
const REQUEST = new URL('./request-headers.ts', import.meta.url).href;

interface Room {
  /** Fields a request's object carries (own names and symbols). */
  readonly fields: number;
  /** Room for fields inside the object, from V8's map. */
  readonly room: number;
  /** V8's slack-tracking counter: 0 once the size is fixed. */
  readonly counter: number;
}

/**
 * Runs a child Node that loads the request and response classes, settles them as the server does at
 * its creation when `settle`, and prints V8's view of a fresh response's and request's map (in-object
 * room and the slack-tracking counter) with the number of fields a used one carries.
 */
function rooms(settle: boolean): { response: Room; request: Room } {
  const script = `
    const { BulwarkResponse } = await import(${JSON.stringify(HEAD)});
    const { BulwarkRequest } = await import(${JSON.stringify(REQUEST)});
    const { settleRequestObjects } = await import(${JSON.stringify(NODE_SERVER)});
    const { Socket } = await import('node:net');
    ${settle ? 'settleRequestObjects();' : ''}
    const print = new Function('o', '%DebugPrint(o)');
    const count = (o) => Object.getOwnPropertyNames(o).length + Object.getOwnPropertySymbols(o).length;
    const used = new BulwarkResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} });
    used.shouldKeepAlive = true;
    used._maxRequestsPerSocket = 0;
    used.writeHead(200, ['content-length', '0']);
    process.stdout.write('fields ' + count(used) + '\\n');
    print(new BulwarkResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} }));
    const req = new BulwarkRequest(new Socket());
    process.stdout.write('fields ' + count(req) + '\\n');
    print(req);
  `;
  const out = runWithV8Print(script);
  const parts = out.split(/^fields /m).slice(1);
  assert.equal(parts.length, 2, `expected two printed maps:\n${out.slice(0, 1500)}`);
  const parse = (part: string): Room => {
    const room = /inobject properties: (\d+)/.exec(part);
    const counter = /construction counter: (\d+)/.exec(part);
    assert.ok(room && counter, `no map printed:\n${part.slice(0, 1500)}`);
    return { fields: Number(/^(\d+)/.exec(part)![1]), room: Number(room[1]), counter: Number(counter[1]) };
  };
  return { response: parse(parts[0]!), request: parse(parts[1]!) };
}

test('settles once per constructor, building past the shrink with the first instance populated', () => {
  class Probe {
    a = 1;
  }
  let made = 0;
  let populated = 0;
  settleInstanceSize(Probe, () => (made++, new Probe()), () => void populated++);
  settleInstanceSize(Probe, () => (made++, new Probe()), () => void populated++);
  assert.equal(populated, 1);
  assert.ok(made >= 8, `only ${made} constructions`);
});

test('the server fixes the size of its request and response objects at creation, with room for every field', (t) => {
  const before = rooms(false);
  if (before.response.counter === 0 && before.request.counter === 0) {
    t.skip('this Node fixed the sizes before the server was created; nothing left to settle');
    return;
  }
  const after = rooms(true);
  for (const [name, r] of Object.entries(after)) {
    assert.equal(r.counter, 0, `${name}: V8 is still sizing the object`);
    assert.ok(r.room >= r.fields, `${name}: room for ${r.room} fields inside the object, a used one has ${r.fields}`);
  }
});
