/**
 * The corpus of malformed and smuggling requests, shared by the proxy's tests and the drill. Each case is
 * the exact bytes to send (built for a given Host) and the answers Bulwark may give: a status, or
 * `close` (connection closed without an answer). Whatever the case, a second answer on the same
 * connection means a second (smuggled) message was parsed, which is always wrong.
 *
 * References: RFC 9112 (HTTP/1.1 message syntax: §2.2 line endings, §3 request line, §5 fields and
 * obs-fold, §6 body length, §7.1 chunked), RFC 9110 (semantics: §5.6.2 tokens, §8.6 Content-Length,
 * §15.5.15 414, §15.6.2 501, §15.6.6 505), RFC 6585 §5 (431).
 */
import { DrillError } from '../errors.ts';

/** An acceptable answer: a status code, or `close` (the server closed without answering). */
export type ExpectedAnswer = 200 | 400 | 404 | 408 | 413 | 414 | 421 | 426 | 431 | 501 | 505 | 'close';

/** Which part of the message is broken. */
export type MalformedCategory = 'framing' | 'chunked' | 'headers' | 'request_line' | 'size' | 'bytes';

/** One malformed request. */
export interface MalformedCase {
  /** Stable snake_case id (used in reports and regression tests). */
  readonly name: string;
  readonly category: MalformedCategory;
  /** Answers Bulwark may give (first one is the preferred). */
  readonly expect: readonly ExpectedAnswer[];
  readonly description: string;
  /** The bytes to send, for a given Host header value. */
  bytes(host: string): Buffer;
}

const CRLF = '\r\n';

function c(name: string, category: MalformedCategory, expect: readonly ExpectedAnswer[], description: string, text: (host: string) => string): MalformedCase {
  return { name, category, expect, description, bytes: (host) => Buffer.from(text(host), 'latin1') };
}

/** A request with the given lines (request line, then fields), an empty line, then `body`. */
function msg(lines: readonly string[], body = ''): string {
  return lines.join(CRLF) + CRLF + CRLF + body;
}

const post = (host: string, ...fields: string[]): string[] => ['POST /form HTTP/1.1', `Host: ${host}`, ...fields];
const get = (host: string, ...fields: string[]): string[] => ['GET / HTTP/1.1', `Host: ${host}`, ...fields];

/** Every case, in a stable order. */
export const MALFORMED_CORPUS: readonly MalformedCase[] = [
  // --- framing: Content-Length / Transfer-Encoding (RFC 9112 §6, RFC 9110 §8.6) ---
  c('cl_and_te', 'framing', [400], 'Content-Length and Transfer-Encoding together (CL.TE / TE.CL smuggling)', (h) => msg(post(h, 'Content-Length: 5', 'Transfer-Encoding: chunked'), '0\r\n\r\n')),
  c('te_and_cl', 'framing', [400], 'Transfer-Encoding before Content-Length', (h) => msg(post(h, 'Transfer-Encoding: chunked', 'Content-Length: 5'), '0\r\n\r\n')),
  c('cl_te_smuggled_get', 'framing', [400], 'CL+TE: by Content-Length one request, by chunked a second one hidden in the body', (h) => {
    const body = `0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ${h}\r\n\r\n`;
    return msg(post(h, `Content-Length: ${body.length}`, 'Transfer-Encoding: chunked'), body);
  }),
  c('cl_duplicate_same', 'framing', [400], 'Content-Length twice with the same value', (h) => msg(post(h, 'Content-Length: 5', 'Content-Length: 5'), 'hello')),
  c('cl_conflicting', 'framing', [400], 'Content-Length twice with different values', (h) => msg(post(h, 'Content-Length: 5', 'Content-Length: 6'), 'hello!')),
  c('cl_list', 'framing', [400], 'Content-Length as a list "5, 5"', (h) => msg(post(h, 'Content-Length: 5, 5'), 'hello')),
  c('cl_negative', 'framing', [400], 'negative Content-Length', (h) => msg(post(h, 'Content-Length: -5'), 'hello')),
  c('cl_plus_sign', 'framing', [400], 'Content-Length with a plus sign', (h) => msg(post(h, 'Content-Length: +5'), 'hello')),
  c('cl_hex', 'framing', [400], 'Content-Length in hex', (h) => msg(post(h, 'Content-Length: 0x5'), 'hello')),
  c('cl_inner_space', 'framing', [400], 'Content-Length "1 0"', (h) => msg(post(h, 'Content-Length: 1 0'), 'helloworld')),
  c('cl_overflow', 'framing', [400, 413], 'Content-Length beyond 2^64', (h) => msg(post(h, 'Content-Length: 99999999999999999999999'))),
  c('cl_huge', 'framing', [413, 400], 'Content-Length of 10 GiB, no body sent (413 at once, not a wait)', (h) => msg(post(h, 'Content-Length: 10737418240'))),
  c('te_gzip_only', 'framing', [400, 501], 'Transfer-Encoding whose final coding is not chunked (RFC 9112 §6.3 item 4)', (h) => msg(post(h, 'Transfer-Encoding: gzip'), 'hello')),
  c('te_chunked_identity', 'framing', [400, 501], 'Transfer-Encoding "chunked, identity"', (h) => msg(post(h, 'Transfer-Encoding: chunked, identity'), '0\r\n\r\n')),
  c('te_xchunked', 'framing', [400, 501], 'Transfer-Encoding "xchunked" (unknown coding)', (h) => msg(post(h, 'Transfer-Encoding: xchunked'), '0\r\n\r\n')),
  c('te_space_before_colon', 'framing', [400], '"Transfer-Encoding : chunked" (whitespace before the colon)', (h) => msg(post(h, 'Transfer-Encoding : chunked', 'Content-Length: 5'), '0\r\n\r\n')),
  c('te_twice_chunked', 'framing', [400], 'chunked applied twice (two Transfer-Encoding fields)', (h) => msg(post(h, 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'), '0\r\n\r\n')),
  c('te_vertical_tab', 'framing', [400], 'Transfer-Encoding value led by a vertical tab', (h) => msg(post(h, 'Transfer-Encoding:\x0bchunked'), '0\r\n\r\n')),
  c('te_in_http10', 'framing', [400, 'close'], 'Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1: framing is faulty)', (h) => msg(['POST /form HTTP/1.0', `Host: ${h}`, 'Transfer-Encoding: chunked'], '0\r\n\r\n')),
  // --- chunked body (RFC 9112 §7.1) ---
  c('chunk_size_not_hex', 'chunked', [400], 'chunk size "zz"', (h) => msg(post(h, 'Transfer-Encoding: chunked'), 'zz\r\nhello\r\n0\r\n\r\n')),
  c('chunk_size_overflow', 'chunked', [400, 413], 'chunk size beyond 2^64', (h) => msg(post(h, 'Transfer-Encoding: chunked'), 'fffffffffffffffff1\r\nhello\r\n0\r\n\r\n')),
  c('chunk_size_negative', 'chunked', [400], 'chunk size "-5"', (h) => msg(post(h, 'Transfer-Encoding: chunked'), '-5\r\nhello\r\n0\r\n\r\n')),
  c('chunk_size_0x', 'chunked', [400], 'chunk size "0x5"', (h) => msg(post(h, 'Transfer-Encoding: chunked'), '0x5\r\nhello\r\n0\r\n\r\n')),
  c('chunk_data_overrun', 'chunked', [400], 'chunk data longer than its size (no CRLF where expected)', (h) => msg(post(h, 'Transfer-Encoding: chunked'), '5\r\nhelloXX\r\n0\r\n\r\n')),
  c('chunk_bare_lf', 'chunked', [400], 'chunk lines ended by bare LF', (h) => msg(post(h, 'Transfer-Encoding: chunked'), '5\nhello\n0\n\n')),
  c('chunk_nul_in_size', 'chunked', [400], 'NUL after the chunk size', (h) => msg(post(h, 'Transfer-Encoding: chunked'), '5\x00\r\nhello\r\n0\r\n\r\n')),
  c('chunk_ext_huge', 'chunked', [400, 413], '20 000-byte chunk extension', (h) => msg(post(h, 'Transfer-Encoding: chunked'), `5;${'a'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`)),
  // --- header fields (RFC 9112 §5, RFC 9110 §5.6.2) ---
  c('obs_fold', 'headers', [400], 'obsolete line folding (RFC 9112 §5.2)', (h) => msg(get(h, 'X-Folded: a', '  b'))),
  c('obs_fold_first_field', 'headers', [400], 'whitespace before the first field line', (h) => msg(['GET / HTTP/1.1', ` Host: ${h}`])),
  c('space_before_colon', 'headers', [400], '"Host : value" (RFC 9112 §5.1 requires 400)', (h) => msg(['GET / HTTP/1.1', `Host : ${h}`])),
  c('name_invalid_char', 'headers', [400], 'field name with "(" (not a token)', (h) => msg(get(h, 'X(Bad): 1'))),
  c('name_with_space', 'headers', [400], 'field name with a space', (h) => msg(get(h, 'Bad Header: 1'))),
  c('name_empty', 'headers', [400], 'empty field name', (h) => msg(get(h, ': 1'))),
  c('name_non_ascii', 'headers', [400], 'field name with Latin-1 bytes', (h) => msg(get(h, 'X-\xdcml\xe4ut: 1'))),
  c('line_without_colon', 'headers', [400], 'a field line without a colon', (h) => msg(get(h, 'NoColonHere'))),
  c('nul_in_value', 'headers', [400], 'NUL byte in a field value', (h) => msg(get(h, 'X-A: a\x00b'))),
  c('ctl_in_value', 'headers', [400], 'control byte 0x01 in a field value', (h) => msg(get(h, 'X-A: a\x01b'))),
  c('bare_cr_in_value', 'headers', [400], 'bare CR inside a field value', (h) => msg(get(h, 'X-A: a\rb'))),
  c('bare_lf_line_endings', 'headers', [400, 200], 'every line ended by bare LF (RFC 9112 §2.2: MAY be accepted)', (h) => `GET / HTTP/1.1\nHost: ${h}\n\n`),
  c('bare_cr_line_endings', 'headers', [400], 'lines ended by bare CR', (h) => `GET / HTTP/1.1\rHost: ${h}\r\r`),
  c('host_missing', 'headers', [400], 'HTTP/1.1 request without Host (RFC 9112 §3.2)', () => msg(['GET / HTTP/1.1', 'Accept: */*'])),
  c('host_duplicate', 'headers', [400], 'two Host fields (RFC 9112 §3.2)', (h) => msg(['GET / HTTP/1.1', `Host: ${h}`, 'Host: other.example'])),
  c('host_invalid', 'headers', [400], 'Host with a space and a slash', () => msg(['GET / HTTP/1.1', 'Host: exa mple/x'])),
  c('h2c_upgrade', 'headers', [400, 200, 404, 426], 'h2c upgrade through the proxy (h2c smuggling); never 101', (h) => msg(get(h, 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'))),
  // --- sizes ---
  c('header_value_64k', 'size', [431, 400], 'one 64 KiB field value', (h) => msg(get(h, `X-Big: ${'a'.repeat(65_536)}`))),
  c('headers_5000', 'size', [431, 400], '5000 small fields', (h) => msg(get(h, ...Array.from({ length: 5000 }, (_, i) => `X-${i}: v`)))),
  c('url_100k', 'size', [414, 431, 400], 'a 100 KiB request target', (h) => msg([`GET /${'a'.repeat(102_400)} HTTP/1.1`, `Host: ${h}`])),
  c('method_10k', 'size', [400, 501, 414], 'a 10 000-character method', (h) => msg([`${'A'.repeat(10_000)} / HTTP/1.1`, `Host: ${h}`])),
  // --- request line (RFC 9112 §3) ---
  c('method_invalid_char', 'request_line', [400, 501], 'method "G@T"', (h) => msg(['G@T / HTTP/1.1', `Host: ${h}`])),
  c('method_unknown', 'request_line', [501, 400], 'unknown method "BREW" (RFC 9110 §15.6.2: 501)', (h) => msg(['BREW / HTTP/1.1', `Host: ${h}`])),
  c('method_lowercase', 'request_line', [501, 400], 'method "get" (methods are case-sensitive)', (h) => msg(['get / HTTP/1.1', `Host: ${h}`])),
  c('method_connect', 'request_line', [400, 501], 'CONNECT to a reverse proxy', (h) => msg(['CONNECT evil.example:443 HTTP/1.1', `Host: ${h}`])),
  c('version_invalid', 'request_line', [400], 'version "HTTP/1.x"', (h) => msg(['GET / HTTP/1.x', `Host: ${h}`])),
  c('version_2_0', 'request_line', [505, 400], 'version "HTTP/2.0" on an HTTP/1 connection', (h) => msg(['GET / HTTP/2.0', `Host: ${h}`])),
  c('version_9_9', 'request_line', [505, 400], 'version "HTTP/9.9"', (h) => msg(['GET / HTTP/9.9', `Host: ${h}`])),
  c('http_09', 'request_line', [400, 'close'], 'HTTP/0.9 request line without a version', () => 'GET /\r\n\r\n'),
  c('h2_preface', 'request_line', [400, 505, 'close'], 'the HTTP/2 connection preface on an HTTP/1 port', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  // RFC 9112 §3 lets a recipient parse the request line on whitespace boundaries; node's parser does, and
  // Bulwark forwards a request line of its own making, so no server behind it sees the double space.
  c('double_space', 'request_line', [400, 200], 'two spaces between method and target', (h) => msg(['GET  / HTTP/1.1', `Host: ${h}`])),
  c('tabs_as_separators', 'request_line', [400], 'tabs instead of spaces in the request line', (h) => msg(['GET\t/\tHTTP/1.1', `Host: ${h}`])),
  c('target_no_slash', 'request_line', [400], 'origin-form target without a leading slash', (h) => msg(['GET index.html HTTP/1.1', `Host: ${h}`])),
  c('target_asterisk_get', 'request_line', [400], 'asterisk-form with GET (only OPTIONS may use it)', (h) => msg(['GET * HTTP/1.1', `Host: ${h}`])),
  c('target_absolute_other_host', 'request_line', [400, 421], 'absolute-form naming another host than Host (routing confusion)', (h) => msg(['GET http://evil.example/ HTTP/1.1', `Host: ${h}`])),
  c('target_nul', 'request_line', [400], 'NUL byte in the target', (h) => msg(['GET /a\x00b HTTP/1.1', `Host: ${h}`])),
  c('target_non_ascii', 'request_line', [400], 'raw Latin-1 bytes in the target', (h) => msg(['GET /\xfc\xe9 HTTP/1.1', `Host: ${h}`])),
  c('target_fragment', 'request_line', [400], 'fragment in the target (never sent by clients)', (h) => msg(['GET /#frag HTTP/1.1', `Host: ${h}`])),
  c('target_backslash', 'request_line', [400], 'backslashes in the target', (h) => msg(['GET /..\\..\\etc\\passwd HTTP/1.1', `Host: ${h}`])),
  // --- raw bytes ---
  c('tls_client_hello', 'bytes', [400, 'close'], 'a TLS ClientHello sent to the plain-HTTP port', () => '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' + '\x00'.repeat(32) + '\x00\x00\x02\x13\x01\x01\x00\r\n\r\n'),
  c('binary_garbage', 'bytes', [400, 'close'], '256 bytes of binary noise ended by CRLFCRLF', () => Array.from({ length: 256 }, (_, i) => String.fromCharCode((i * 73 + 41) % 256)).join('') + '\r\n\r\n'),
];

/** The case with this name; throws when there is none (a typo in a test). */
export function malformedCase(name: string): MalformedCase {
  const found = MALFORMED_CORPUS.find((m) => m.name === name);
  if (!found) throw new DrillError('BULWARK_ERR_DRILL_UNKNOWN_CASE', `no malformed case named ${name}`);
  return found;
}
