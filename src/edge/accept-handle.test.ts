/**
 * The listening handle's screen over real loopback sockets: a refused source gets no Socket and no
 * 'connection' event, an admitted one arrives with the address it was screened on and its peer address
 * already known, and a handle without node:net's accept callback is left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { screenAtHandle } from './accept-handle.ts';

/** Connects from `localAddress`; resolves when the connection closes, saying whether any data came. */
function connectFrom(port: number, localAddress: string): Promise<{ localPort: number; gotData: boolean }> {
  return new Promise((resolve) => {
    let gotData = false;
    let localPort = 0;
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => {
      localPort = s.localPort ?? 0;
      s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    s.on('data', () => (gotData = true));
    s.on('error', () => {});
    s.on('close', () => resolve({ localPort, gotData }));
    setTimeout(() => s.destroy(), 3000).unref();
  });
}

async function listening(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

test('a refused source is closed at the handle: no Socket, no connection event; an admitted one keeps its screened address', async () => {
  const screened: string[] = [];
  const seen: Array<{ screened: string | undefined; remoteAddress: string | undefined; remotePort: number | undefined }> = [];
  let takeAgain: string | undefined = 'unset';
  let screen: ReturnType<typeof screenAtHandle>;
  const server = net.createServer((socket) => {
    const address = screen.takeScreened(socket);
    takeAgain = screen.takeScreened(socket);
    seen.push({ screened: address, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
    socket.end('HTTP/1.1 204 No Content\r\n\r\n');
  });
  const port = await listening(server);
  screen = screenAtHandle(server, (address) => {
    screened.push(address);
    return address !== '127.31.0.9';
  });
  try {
    assert.equal(screen.installed, true);
    const refused = await connectFrom(port, '127.31.0.9');
    assert.equal(refused.gotData, false, 'the refused source got nothing');
    assert.equal(seen.length, 0, 'no connection event for the refused source');
    const admitted = await connectFrom(port, '127.31.0.10');
    assert.equal(admitted.gotData, true);
    assert.deepEqual(screened, ['127.31.0.9', '127.31.0.10']);
    assert.deepEqual(seen, [{ screened: '127.31.0.10', remoteAddress: '127.31.0.10', remotePort: admitted.localPort }]);
    assert.equal(takeAgain, undefined, 'the screened address is handed out once');
    assert.equal(server.listenerCount('connection'), 1);
  } finally {
    server.close();
  }
});

test('a socket that did not come through the screen is not given its address', async () => {
  const server = net.createServer(() => {});
  const port = await listening(server);
  const screen = screenAtHandle(server, () => true);
  const other = net.connect({ port, host: '127.0.0.1' });
  try {
    await once(other, 'connect');
    assert.equal(screen.takeScreened(other), undefined);
  } finally {
    other.destroy();
    server.close();
  }
});

test('a listening handle without node:net\'s accept callback is left alone: connections take the Socket path', () => {
  const handle = {};
  const fake = { _handle: handle } as unknown as net.Server;
  const screen = screenAtHandle(fake, () => false);
  assert.equal(screen.installed, false);
  assert.deepEqual(handle, {});
  assert.equal(screen.takeScreened(new net.Socket()), undefined);
  assert.equal(screenAtHandle({ _handle: null } as unknown as net.Server, () => false).installed, false);
});
