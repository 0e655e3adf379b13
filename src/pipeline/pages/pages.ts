/**
 * The small pages Bulwark answers with itself (421 unknown host, 4xx refusals, 5xx origin trouble).
 *
 * Each page tells the visitor in plain words what happened and shows the request ID that matches the
 * log line (after Caddy); it never names the origin's address or Bulwark internals. The format
 * follows `Accept`: HTML for browsers, JSON for API clients, plain text otherwise. Pages are never
 * cached (`Cache-Control: no-store`).
 *
 * A page that asks the visitor to try again (429, 500, 502, 503, 504) is sent with `retryAfterS`: it
 * carries `Retry-After` and retries by itself (retry-page-html.ts: `Refresh` header and meta refresh with
 * a jittered delay and a visible countdown, same URL; a non-idempotent request is explained instead and
 * offered a button). Every variant is rendered once and kept (bounded), never per request.
 */
import type { ServerResponse } from 'node:http';
import { prepareFields, writePreparedHead, type PreparedFields } from './prepared-head.ts';
import { retryBody, retryDelayS, retryHead, retryModeOf, type RetryMode } from './retry-page-html.ts';

export interface PageSpec {
  readonly status: number;
  /** Stable machine-readable reason, e.g. `unknown_host`, `origin_timeout`. */
  readonly reason: string;
  readonly title: string;
  readonly message: string;
}

export const PAGES = {
  badRequest: { status: 400, reason: 'bad_request', title: 'Bad request', message: 'The request could not be understood.' },
  forbidden: { status: 403, reason: 'blocked', title: 'Access denied', message: 'This request was blocked by the site’s protection. If you think this is a mistake, contact the site’s owner and quote the request ID below.' },
  requestTimeout: { status: 408, reason: 'request_timeout', title: 'Request timeout', message: 'The request took too long to arrive.' },
  methodNotAllowed: { status: 405, reason: 'method_not_allowed', title: 'Method not allowed', message: 'This site does not accept that request method.' },
  payloadTooLarge: { status: 413, reason: 'body_too_large', title: 'Request too large', message: 'The request body is larger than this site accepts.' },
  expectationFailed: { status: 417, reason: 'expectation_failed', title: 'Expectation failed', message: 'This server only supports the Expect value 100-continue.' },
  unknownHost: { status: 421, reason: 'unknown_host', title: 'Unknown site', message: 'This server does not serve the site you asked for.' },
  tooManyRequests: { status: 429, reason: 'rate_limited', title: 'Too many requests', message: 'You are sending requests faster than this site allows. Please wait a moment and try again.' },
  headersTooLarge: { status: 431, reason: 'headers_too_large', title: 'Request headers too large', message: 'The request headers are larger than this server accepts.' },
  internalError: { status: 500, reason: 'internal_error', title: 'Something went wrong', message: 'An unexpected error occurred. Please try again.' },
  badGateway: { status: 502, reason: 'origin_unreachable', title: 'Site unavailable', message: 'The site could not be reached just now. Please try again in a moment.' },
  highDemand: { status: 503, reason: 'high_demand', title: 'High demand', message: 'The site is receiving more requests than it can answer right now. Please try again in a few seconds.' },
  versionNotSupported: { status: 505, reason: 'http_version_not_supported', title: 'HTTP version not supported', message: 'This server speaks HTTP/1.1.' },
  notImplemented: { status: 501, reason: 'method_not_implemented', title: 'Not implemented', message: 'This server does not support that method.' },
  gatewayTimeout: { status: 504, reason: 'origin_timeout', title: 'Site too slow', message: 'The site took too long to answer. Please try again in a moment.' },
} as const satisfies Record<string, PageSpec>;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Plain-HTML shell shared by every Bulwark page: no external resources, readable without CSS. */
export function htmlDocument(title: string, body: string, extraHead = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font:1.05rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;max-width:38rem;margin:3rem auto;padding:0 1rem}h1{font-size:1.5rem}.id{color:#444;font-size:.9rem}code{background:#f2f2f2;padding:.1rem .3rem}</style>${extraHead}
</head><body><main>${body}</main></body></html>`;
}

export type PageFormat = 'html' | 'json' | 'text';

/** Chooses the page format from `Accept`: JSON if asked for before HTML, HTML for browsers, else text. */
export function pageFormat(accept: string | undefined): PageFormat {
  if (accept === undefined) return 'text';
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  if (json !== -1 && (html === -1 || json < html)) return 'json';
  if (html !== -1) return 'html';
  if (accept.includes('+json')) return 'json';
  return 'text';
}

/** A retry page's behaviour and announced delay (see retry-page-html.ts). */
export interface RetryVariant {
  readonly mode: RetryMode;
  readonly delayS: number;
}

/** Renders a page body in the given format; with `retry`, the HTML is the try-again page for that delay. */
export function renderPage(spec: PageSpec, requestId: string, format: PageFormat, detail?: string, retry?: RetryVariant): { type: string; body: string } {
  const message = detail ? `${spec.message} ${detail}` : spec.message;
  switch (format) {
    case 'json':
      return {
        type: 'application/json; charset=utf-8',
        body: JSON.stringify({ error: spec.reason, status: spec.status, message, request_id: requestId }) + '\n',
      };
    case 'html':
      return {
        type: 'text/html; charset=utf-8',
        body: htmlDocument(
          spec.title,
          `<h1>${escapeHtml(spec.title)}</h1><p>${escapeHtml(message)}</p>` +
            (retry === undefined ? '' : retryBody(retry.mode, retry.delayS)) +
            `<p class="id">Request ID: <code>${escapeHtml(requestId)}</code></p>`,
          retry === undefined ? '' : retryHead(retry.mode, retry.delayS),
        ),
      };
    default:
      return { type: 'text/plain; charset=utf-8', body: `${spec.status} ${spec.title}: ${message}\nRequest ID: ${requestId}\n` };
  }
}

/**
 * A page pre-rendered per spec and format (pages are a handful): the halves of its body around the
 * request ID, and the constant fields of its head validated once (prepared-head.ts).
 */
export interface RenderedPage {
  readonly type: string;
  readonly before: string;
  readonly after: string;
  /** Body bytes without the request ID. */
  readonly extra: number;
  readonly head: PreparedFields;
  /** Head block and body are pure ASCII (the wire writes them as latin1, counted in characters). */
  readonly ascii: boolean;
}
const rendered = new Map<PageSpec, Record<PageFormat, RenderedPage>>();
const ID_MARK = 'BULWARKREQUESTIDMARK';
const ASCII = /^[\x00-\x7f]*$/;

function prepare(spec: PageSpec, format: PageFormat, retry?: RetryVariant): RenderedPage {
  const { type, body } = renderPage(spec, ID_MARK, format, undefined, retry);
  const at = body.indexOf(ID_MARK);
  const fields = ['content-type', type, 'cache-control', 'no-store'];
  if (retry !== undefined && retry.mode === 'auto') fields.push('refresh', String(retry.delayS));
  const head = prepareFields(fields);
  return {
    type,
    before: body.slice(0, at),
    after: body.slice(at + ID_MARK.length),
    extra: Buffer.byteLength(body) - ID_MARK.length,
    head,
    ascii: ASCII.test(body) && ASCII.test(head.block),
  };
}

/** The page prepared for a spec and format (rendered on first use, then kept). */
export function renderedOf(spec: PageSpec, format: PageFormat): RenderedPage {
  let per = rendered.get(spec);
  if (per === undefined) {
    per = { html: prepare(spec, 'html'), json: prepare(spec, 'json'), text: prepare(spec, 'text') };
    rendered.set(spec, per);
  }
  return per[format];
}

/**
 * Prepared try-again variants, by spec and variant key (retryVariantKey: format, mode and delay as one
 * small integer, so the lookup on every 429 builds no string). Delays are whole seconds up to
 * MAX_RETRY_DELAY_S and a site uses a handful; the table holds at most {@link MAX_RETRY_VARIANTS} and
 * starts afresh when full (each variant is a few kB and cheap to render again).
 */
const retryRendered = new Map<PageSpec, Map<number, RenderedPage>>();
const FORMAT_CODE: Readonly<Record<PageFormat, number>> = { html: 0, json: 1, text: 2 };
/** One integer per (format, mode, delay): delay × 8 + format × 2 + mode. */
const retryVariantKey = (format: PageFormat, mode: RetryMode, delayS: number): number => delayS * 8 + FORMAT_CODE[format] * 2 + (mode === 'auto' ? 0 : 1);
let retryVariants = 0;
/** Cap on prepared try-again variants kept at once. */
export const MAX_RETRY_VARIANTS = 2048;

/** Prepared retry variants held now (for stats and tests). */
export function retryVariantCount(): number {
  return retryVariants;
}

/**
 * The try-again page for a request: its delay (`Retry-After` base plus the request's jitter, see
 * retryDelayS) and behaviour (retries itself for GET/HEAD, explains and offers a button otherwise),
 * prepared once per variant. The head block carries `Refresh` when the page retries itself.
 */
export function retryRenderedOf(spec: PageSpec, format: PageFormat, method: string | undefined, retryAfterS: number, requestId: string): RenderedPage {
  const mode = retryModeOf(method);
  const delayS = retryDelayS(retryAfterS, requestId);
  let per = retryRendered.get(spec);
  if (per === undefined) retryRendered.set(spec, (per = new Map()));
  const key = retryVariantKey(format, mode, delayS);
  let page = per.get(key);
  if (page === undefined) {
    if (retryVariants >= MAX_RETRY_VARIANTS) {
      retryRendered.clear();
      retryRendered.set(spec, per = new Map());
      retryVariants = 0;
    }
    page = prepare(spec, format, { mode, delayS });
    per.set(key, page);
    retryVariants++;
  }
  return page;
}

/** `Retry-After` in whole seconds (at least 1) for a wait of `seconds`. */
export function retryAfterField(seconds: number): string {
  return String(Math.max(1, Math.ceil(seconds)));
}

/** Options of {@link sendPage}. */
export interface SendPageOptions {
  /** An extra sentence after the page's message (rendered per request: rare answers only). */
  readonly detail?: string;
  /** Close the connection after the answer. */
  readonly close?: boolean;
  /** Extra fields Bulwark built itself from digits and config-validated names only (not validated again). */
  readonly trusted?: readonly string[];
  /**
   * A try-again answer: wait this long before trying again. The page carries `Retry-After` (this many
   * seconds, at least 1) after the trusted fields, and retries by itself (see the module comment).
   */
  readonly retryAfterS?: number;
}

/**
 * Sends a page as the whole response, in one head (refusals are the hot path of an attack). Does
 * nothing if headers were already sent (the caller then has to abort the connection instead).
 * `headers` are extra fields, validated by node:http; `options.trusted` are extra fields Bulwark built
 * itself from digits and config-validated names only (the 429's `RateLimit` fields), written without a
 * second validation. The request ID is plain ASCII ([A-Za-z0-9._:-]), so it needs no escaping and the
 * pre-rendered halves are exact.
 */
export function sendPage(
  res: ServerResponse,
  spec: PageSpec,
  requestId: string,
  accept: string | undefined,
  headers?: Record<string, string>,
  options: SendPageOptions = {},
): number {
  if (res.headersSent) return 0;
  const format = pageFormat(accept);
  if (options.close) res.shouldKeepAlive = false;
  const method = res.req?.method;
  const retry = options.retryAfterS;
  const page = retry === undefined ? renderedOf(spec, format) : retryRenderedOf(spec, format, method, retry, requestId);
  if (options.detail === undefined && headers === undefined) {
    const length = page.extra + requestId.length;
    const extra = ['content-length', String(length), 'x-request-id', requestId];
    if (options.trusted !== undefined) for (const v of options.trusted) extra.push(v);
    if (retry !== undefined) extra.push('retry-after', retryAfterField(retry));
    writePreparedHead(res, spec.status, page.head, extra);
    res.end(method === 'HEAD' ? undefined : page.before + requestId + page.after);
    return length;
  }
  let body: string;
  let length: number;
  if (options.detail === undefined) {
    body = page.before + requestId + page.after;
    length = page.extra + requestId.length;
  } else {
    const variant = retry === undefined ? undefined : { mode: retryModeOf(method), delayS: retryDelayS(retry, requestId) };
    body = renderPage(spec, requestId, format, options.detail, variant).body;
    length = Buffer.byteLength(body);
  }
  // Extra fields from the caller (or a detail message): node:http validates the whole head.
  const fields: string[] = [...page.head.pairs, 'content-length', String(length), 'x-request-id', requestId];
  if (headers) for (const name in headers) fields.push(name, headers[name]!);
  if (options.trusted !== undefined) for (const v of options.trusted) fields.push(v);
  if (retry !== undefined) fields.push('retry-after', retryAfterField(retry));
  res.writeHead(spec.status, fields);
  res.end(method === 'HEAD' ? undefined : body);
  return length;
}

/** A complete raw HTTP/1.1 response for a socket with no ServerResponse (parse errors, accept refusals). */
export function rawPage(spec: PageSpec, requestId: string): string {
  const body = `${spec.status} ${spec.title}: ${spec.message}\nRequest ID: ${requestId}\n`;
  return (
    `HTTP/1.1 ${spec.status} ${spec.title}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Cache-Control: no-store\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
}
