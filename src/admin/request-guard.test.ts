import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAdminRequest, isOwnAuthority, parseAuthority, type ListenerIdentity } from './request-guard.ts';

const loop: ListenerIdentity = { scheme: 'http', host: '127.0.0.1', port: 9901, names: [] };
const wild6: ListenerIdentity = { scheme: 'https', host: '::', port: 443, names: ['admin.example.org'] };

test('authority parsing', () => {
  assert.deepEqual(parseAuthority('127.0.0.1:9901'), { host: '127.0.0.1', port: 9901 });
  assert.deepEqual(parseAuthority('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(parseAuthority('Admin.Example.ORG.'), { host: 'admin.example.org', port: null });
  for (const bad of ['', 'a:b', '[zz]:1', 'x:99999', 'user@host:1', 'a b', '[::1]x']) assert.equal(parseAuthority(bad), null, bad);
});

test('Host names the listener: own address, localhost on loopback, configured names, same port', () => {
  const cases: Array<[ListenerIdentity, string, string | undefined, boolean]> = [
    [loop, '127.0.0.1:9901', undefined, true],
    [loop, 'localhost:9901', undefined, true],
    [loop, 'LOCALHOST:9901', undefined, true],
    [loop, '127.0.0.1', undefined, false],
    [loop, '127.0.0.1:9902', undefined, false],
    [loop, '127.0.0.2:9901', undefined, false],
    [loop, 'attacker.example:9901', undefined, false],
    [wild6, 'admin.example.org', '::ffff:192.0.2.1', true],
    [wild6, 'admin.example.org:443', '::ffff:192.0.2.1', true],
    [wild6, '192.0.2.1', '::ffff:192.0.2.1', true],
    [wild6, '[2001:db8::1]', '2001:db8::1', true],
    [wild6, '[2001:DB8:0::1]:443', '2001:db8::1', true],
    [wild6, '192.0.2.2', '::ffff:192.0.2.1', false],
    [wild6, 'localhost', '::ffff:192.0.2.1', false],
    [wild6, 'localhost', '::1', true],
    [wild6, 'admin.example.org:8443', '::ffff:192.0.2.1', false],
  ];
  for (const [id, host, local, want] of cases) assert.equal(isOwnAuthority(host, id, local), want, `${host} on ${id.host}`);
});

test('Origin, fetch metadata and Content-Type', () => {
  const ok = { host: '127.0.0.1:9901' };
  const check = (method: string, headers: Record<string, string>) => checkAdminRequest({ method, headers: { ...ok, ...headers }, localAddress: '127.0.0.1' }, loop)?.code ?? null;
  assert.equal(check('GET', {}), null);
  assert.equal(check('GET', { host: 'evil.example:9901' }), 'BULWARK_ERR_ADMIN_HOST');
  assert.equal(check('GET', { origin: 'http://127.0.0.1:9901' }), null);
  assert.equal(check('POST', { origin: 'http://localhost:9901', 'content-type': 'application/json', 'content-length': '2' }), null);
  assert.equal(check('POST', { origin: 'https://127.0.0.1:9901' }), 'BULWARK_ERR_ADMIN_ORIGIN');
  assert.equal(check('POST', { origin: 'null' }), 'BULWARK_ERR_ADMIN_ORIGIN');
  assert.equal(check('POST', { origin: 'http://127.0.0.1:8080' }), 'BULWARK_ERR_ADMIN_ORIGIN');
  assert.equal(check('POST', { 'sec-fetch-site': 'same-site' }), 'BULWARK_ERR_ADMIN_ORIGIN');
  assert.equal(check('POST', { 'sec-fetch-site': 'same-origin' }), null);
  assert.equal(check('GET', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }), null, 'a link to the dashboard');
  assert.equal(check('GET', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }), 'BULWARK_ERR_ADMIN_ORIGIN');
  assert.equal(check('POST', { 'content-length': '0' }), null, 'no body, no type needed');
  for (const t of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"']) assert.equal(check('POST', { 'content-type': t, 'content-length': '2' }), null, t);
  for (const t of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx']) {
    assert.equal(check('POST', { 'content-type': t, 'content-length': '2' }), 'BULWARK_ERR_ADMIN_CONTENT_TYPE', t);
  }
  assert.equal(check('POST', { 'transfer-encoding': 'chunked' }), 'BULWARK_ERR_ADMIN_CONTENT_TYPE');
});
