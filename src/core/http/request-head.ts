/**
 * Strict checks of a request head that node:http lets through but Bulwark will not forward
 * (docs/threats.md, "malformed and oversized requests"; the drill's malformed corpus lists what Node 20
 * accepts on its own). Pure:
 * the parse phase calls it with what node:http parsed.
 *
 * Refused:
 * - HTTP/0.9 and major versions other than 1 (505), since the connection speaks HTTP/1.x — except
 *   HTTP/2.0 on a connection that really is HTTP/2 (`http2`: framing and Transfer-Encoding are then
 *   the HTTP/2 library's to refuse, RFC 9113 §8.2.2);
 * - `Transfer-Encoding` in an HTTP/1.0 request (RFC 9112 §6.1: the framing is faulty), or any coding
 *   but plain `chunked` (no other coding is worth the smuggling risk);
 * - an `Expect` other than `100-continue` in HTTP/1.1 (417, RFC 9110 §10.1.1);
 * - more than one `Host`, or none in HTTP/1.1 (RFC 9112 §3.2: "MUST respond with a 400"), or a Host
 *   that is not a valid authority;
 * - request targets that are not origin-form (`/path`), except `OPTIONS *` and absolute-form whose
 *   authority matches Host (RFC 9112 §3.2.2); fragments, backslashes and control characters; targets
 *   whose path cannot be normalised (core/http/request-target.ts: escaped separators, bad escapes).
 *
 * An accepted target comes back normalised (request-target.ts): every later phase and the origin see
 * that one path.
 */
import { normalizeOriginTarget, scanTarget, TARGET_BAD, TARGET_CLEAN } from './request-target.ts';

export interface RequestHead {
  readonly method: string;
  readonly url: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  /** Node's flat rawHeaders list. */
  readonly rawHeaders: readonly string[];
  /** A Host value already found valid (the previous request of the same connection): not re-checked. */
  readonly knownHost?: string | undefined;
  /**
   * The request came over an HTTP/2 connection (ALPN h2), not an HTTP/1.x request line: version 2.0 is
   * then the truth, not a claim (node:http's parser accepts `HTTP/2.0` in a request line).
   */
  readonly http2?: boolean;
}

export interface HeadVerdict {
  readonly status: 400 | 417 | 505;
  readonly code: string;
}

/** What the rest of the pipeline should use as the target and host (absolute-form is converted). */
export interface AcceptedHead {
  /** The normalised origin-form target (the same string as the request's when it was already normal). */
  readonly path: string;
  /** Authority from an absolute-form target, else null (use the Host header). */
  readonly authority: string | null;
}

const AUTHORITY = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function refuse(code: string, status: 400 | 417 | 505 = 400): HeadVerdict {
  return { status, code };
}

/** The normalised origin-form target, or the refusal. */
function acceptTarget(path: string, authority: string | null): HeadVerdict | AcceptedHead {
  const scan = scanTarget(path);
  if (scan === TARGET_BAD) return refuse('BULWARK_ERR_INVALID_TARGET');
  if (scan === TARGET_CLEAN) return { path, authority };
  const normal = normalizeOriginTarget(path);
  return typeof normal === 'string' ? { path: normal, authority } : refuse(normal.code);
}

/**
 * Checks a request head. Returns a verdict to refuse it, or the accepted target (absolute-form
 * rewritten to origin-form with its authority).
 */
export function checkRequestHead(head: RequestHead): HeadVerdict | AcceptedHead {
  const h2 = head.http2 === true && head.httpVersionMajor === 2 && head.httpVersionMinor === 0;
  if (head.httpVersionMajor !== 1 && !h2) return refuse('BULWARK_ERR_HTTP_VERSION', head.httpVersionMajor === 0 ? 400 : 505);
  let hosts = 0;
  let host: string | undefined;
  let te: string | undefined;
  let expect: string | undefined;
  const raw = head.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      hosts++;
      host = raw[i + 1];
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      te = te === undefined ? raw[i + 1] : `${te}, ${raw[i + 1]}`;
    } else if (name.length === 6 && name.toLowerCase() === 'expect') {
      expect = expect === undefined ? raw[i + 1] : `${expect}, ${raw[i + 1]}`;
    }
  }
  if (te !== undefined && (h2 || head.httpVersionMinor === 0 || te.trim().toLowerCase() !== 'chunked')) return refuse('BULWARK_ERR_AMBIGUOUS_FRAMING');
  if (hosts > 1) return refuse('BULWARK_ERR_DUPLICATE_HOST');
  if (hosts === 0 && head.httpVersionMinor >= 1) return refuse('BULWARK_ERR_MISSING_HOST');
  // RFC 9110 §10.1.1: only 100-continue is defined; HTTP/1.0 expectations are ignored.
  if (expect !== undefined && head.httpVersionMinor >= 1 && expect.trim().toLowerCase() !== '100-continue') return refuse('BULWARK_ERR_EXPECTATION', 417);
  if (host !== undefined && host !== head.knownHost && !AUTHORITY.test(host)) return refuse('BULWARK_ERR_INVALID_HOST');
  const url = head.url;
  if (url.charCodeAt(0) === 47 /* / */) return acceptTarget(url, null);
  if (url === '*') return head.method === 'OPTIONS' ? { path: '*', authority: null } : refuse('BULWARK_ERR_INVALID_TARGET');
  const abs = /^https?:\/\/([^/?#]+)(\/[^#]*)?$/i.exec(url);
  if (abs === null || head.method === 'CONNECT') return refuse('BULWARK_ERR_INVALID_TARGET');
  const authority = abs[1]!;
  const path = abs[2] ?? '/';
  if (!AUTHORITY.test(authority)) return refuse('BULWARK_ERR_INVALID_TARGET');
  if (host !== undefined && host.toLowerCase() !== authority.toLowerCase()) return refuse('BULWARK_ERR_HOST_MISMATCH');
  return acceptTarget(path, authority);
}
