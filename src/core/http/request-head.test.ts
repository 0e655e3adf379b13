import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRequestHead, type RequestHead } from './request-head.ts';

const head = (over: Partial<RequestHead>): RequestHead => ({ method: 'GET', url: '/', httpVersionMajor: 1, httpVersionMinor: 1, rawHeaders: ['Host', 'example.org'], ...over });

test('refused heads', () => {
  const cases: [string, Partial<RequestHead>, number, string][] = [
    ['HTTP/0.9', { httpVersionMajor: 0, httpVersionMinor: 9 }, 400, 'BULWARK_ERR_HTTP_VERSION'],
    ['HTTP/2.0 on HTTP/1', { httpVersionMajor: 2, httpVersionMinor: 0 }, 505, 'BULWARK_ERR_HTTP_VERSION'],
    ['TE in HTTP/1.0', { httpVersionMinor: 0, rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'chunked'] }, 400, 'BULWARK_ERR_AMBIGUOUS_FRAMING'],
    ['TE gzip, chunked', { rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked'] }, 400, 'BULWARK_ERR_AMBIGUOUS_FRAMING'],
    ['two TE fields', { rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'chunked', 'transfer-encoding', 'chunked'] }, 400, 'BULWARK_ERR_AMBIGUOUS_FRAMING'],
    ['two Hosts', { rawHeaders: ['Host', 'a', 'host', 'b'] }, 400, 'BULWARK_ERR_DUPLICATE_HOST'],
    ['invalid Host', { rawHeaders: ['Host', 'exa mple'] }, 400, 'BULWARK_ERR_INVALID_HOST'],
    ['Host with path', { rawHeaders: ['Host', 'a/b'] }, 400, 'BULWARK_ERR_INVALID_HOST'],
    ['GET *', { url: '*' }, 400, 'BULWARK_ERR_INVALID_TARGET'],
    ['fragment', { url: '/#frag' }, 400, 'BULWARK_ERR_INVALID_TARGET'],
    ['backslash', { url: '/a\\b' }, 400, 'BULWARK_ERR_INVALID_TARGET'],
    ['absolute-form for another host', { url: 'http://evil.example/x' }, 400, 'BULWARK_ERR_HOST_MISMATCH'],
    ['authority-form outside CONNECT', { url: 'example.org:443' }, 400, 'BULWARK_ERR_INVALID_TARGET'],
  ];
  for (const [name, over, status, code] of cases) assert.deepEqual(checkRequestHead(head(over)), { status, code }, name);
});

test('accepted heads', () => {
  assert.deepEqual(checkRequestHead(head({ url: '/a/b?c=d' })), { path: '/a/b?c=d', authority: null });
  assert.deepEqual(checkRequestHead(head({ method: 'OPTIONS', url: '*' })), { path: '*', authority: null });
  assert.deepEqual(checkRequestHead(head({ url: 'http://Example.org/x?y' })), { path: '/x?y', authority: 'Example.org' });
  assert.deepEqual(checkRequestHead(head({ rawHeaders: ['Host', '[::1]:8080'] })), { path: '/', authority: null });
  assert.deepEqual(checkRequestHead(head({ rawHeaders: ['Host', 'example.org.:80', 'Transfer-Encoding', 'Chunked'] })), { path: '/', authority: null });
});

test('knownHost: a Host already found valid on the connection is not re-checked; any other still is', () => {
  // The caller passes only a value an earlier request validated; the check itself is skipped for it.
  assert.deepEqual(checkRequestHead(head({ rawHeaders: ['Host', 'example.org'], knownHost: 'example.org' })), { path: '/', authority: null });
  assert.deepEqual(checkRequestHead(head({ rawHeaders: ['Host', 'exa mple'], knownHost: 'example.org' })), { status: 400, code: 'BULWARK_ERR_INVALID_HOST' });
  // Framing and duplicate checks still run for a known Host.
  assert.deepEqual(checkRequestHead(head({ rawHeaders: ['Host', 'example.org', 'host', 'example.org'], knownHost: 'example.org' })), { status: 400, code: 'BULWARK_ERR_DUPLICATE_HOST' });
});

test('HTTP/2: version 2.0 is accepted only from an HTTP/2 connection; its other checks still apply', () => {
  const h2 = (over: Partial<RequestHead>) => head({ httpVersionMajor: 2, httpVersionMinor: 0, http2: true, ...over });
  assert.deepEqual(checkRequestHead(h2({})), { path: '/', authority: null });
  assert.deepEqual(checkRequestHead(head({ httpVersionMajor: 2, httpVersionMinor: 0 })), { status: 505, code: 'BULWARK_ERR_HTTP_VERSION' });
  assert.deepEqual(checkRequestHead(h2({ httpVersionMinor: 1 })), { status: 505, code: 'BULWARK_ERR_HTTP_VERSION' });
  // :authority and a different host field arrive as two Hosts (RFC 9113 §8.3.1: malformed).
  assert.deepEqual(checkRequestHead(h2({ rawHeaders: ['host', 'a.example', 'host', 'b.example'] })), { status: 400, code: 'BULWARK_ERR_DUPLICATE_HOST' });
  assert.deepEqual(checkRequestHead(h2({ rawHeaders: ['host', 'a.example', 'transfer-encoding', 'chunked'] })), { status: 400, code: 'BULWARK_ERR_AMBIGUOUS_FRAMING' });
  assert.deepEqual(checkRequestHead(h2({ url: '' })), { status: 400, code: 'BULWARK_ERR_INVALID_TARGET' });
});

test('HTTP/1.1 without Host is refused (RFC 9112 §3.2); HTTP/1.0 without Host is not', () => {
  assert.deepEqual(checkRequestHead(head({ rawHeaders: [] })), { status: 400, code: 'BULWARK_ERR_MISSING_HOST' });
  assert.deepEqual(checkRequestHead(head({ httpVersionMinor: 0, rawHeaders: [] })), { path: '/', authority: null });
});

test('accepted targets come back normalised; unnormalisable ones are refused', () => {
  const cases: [string, string | { status: number; code: string }][] = [
    ['/%61dmin', '/admin'],
    ['/wp-login%2ephp', '/wp-login.php'],
    ['/a/./b/../admin', '/a/admin'],
    ['//admin', '/admin'],
    ['/x/%2e%2e/admin?q=%7e%2f', '/admin?q=~%2F'],
    ['/admin%2Fsecret', { status: 400, code: 'BULWARK_ERR_ENCODED_SEPARATOR' }],
    ['/admin%5csecret', { status: 400, code: 'BULWARK_ERR_ENCODED_SEPARATOR' }],
    ['/a%00b', { status: 400, code: 'BULWARK_ERR_INVALID_TARGET' }],
    ['/a%zz', { status: 400, code: 'BULWARK_ERR_INVALID_TARGET' }],
  ];
  for (const [url, want] of cases) {
    const got = checkRequestHead(head({ url }));
    assert.deepEqual(got, typeof want === 'string' ? { path: want, authority: null } : want, url);
  }
  assert.deepEqual(checkRequestHead(head({ url: 'http://example.org/%61/../b' })), { path: '/b', authority: 'example.org' });
});
