/**
 * What a "try again" page (429, 500, 502, 503, 504) adds to Bulwark's plain page so that nobody has to
 * reload by hand: the visitor stays on the page and it retries by itself.
 *
 * - `auto` (a GET or HEAD, which may be repeated safely — RFC 9110 §9.2.1): a `<meta http-equiv="refresh">`
 *   without a URL, so the browser asks for the very same URL again after the delay (the `Refresh` header
 *   says the same for clients that read heads only); a visible countdown — a bar that fills by CSS alone,
 *   and seconds counted down by a few lines of script where it runs — and a "Try again now" link to the
 *   same URL (`href=""`, the document's own address).
 * - `manual` (any other method, e.g. a form's POST): nothing is repeated automatically, because the site
 *   may have received it already or a repeat could do something twice. The page says so, gives the wait,
 *   and offers a button that reloads (the browser then asks whether to send the form again) — without
 *   JavaScript the page tells the visitor to use the browser's reload button.
 *
 * Pure string building, prepared once per delay by pages.ts (no per-request rendering). Everything here is
 * ASCII so the wire can write the page as latin1.
 */

/** How a retry page behaves: retries itself, or explains and offers a button. */
export type RetryMode = 'auto' | 'manual';

/** Longest delay a retry page announces (seconds); longer waits are cut to this. */
export const MAX_RETRY_DELAY_S = 600;

/** The retry mode for a request method: only safe methods are repeated automatically. */
export function retryModeOf(method: string | undefined): RetryMode {
  return method === 'GET' || method === 'HEAD' || method === undefined ? 'auto' : 'manual';
}

/**
 * The delay a page announces for a request: the base (its `Retry-After`) plus a jitter of up to half the
 * base (at least one second), so visitors turned away in the same moment do not all come back in the
 * same second. The jitter comes from the request ID (its last characters carry a counter), so consecutive
 * requests spread evenly over the window and the same request always gets the same page (the wire and
 * node:http answer identically). Clamped to 1..{@link MAX_RETRY_DELAY_S}.
 */
export function retryDelayS(baseS: number, requestId: string): number {
  const base = Math.min(MAX_RETRY_DELAY_S, Math.max(1, Math.ceil(baseS)));
  const spread = Math.max(1, Math.ceil(base / 2)) + 1;
  const n = requestId.length;
  const h = n === 0 ? 0 : requestId.charCodeAt(n - 1) + 7 * (n > 1 ? requestId.charCodeAt(n - 2) : 0);
  return Math.min(MAX_RETRY_DELAY_S, base + (h % spread));
}

const STYLE =
  '.bw-bar{height:.4rem;background:#e4e4e4;border-radius:.2rem;overflow:hidden;margin:.5rem 0 1rem}' +
  '.bw-bar>div{height:100%;width:0;background:#3a5a8c;animation:bw-fill var(--bw-delay) linear forwards}' +
  '@keyframes bw-fill{to{width:100%}}@media (prefers-reduced-motion:reduce){.bw-bar>div{animation:none;width:100%}}';

/** Extra `<head>` content of a retry page: the refresh (auto only) and the countdown's style. */
export function retryHead(mode: RetryMode, delayS: number): string {
  const refresh = mode === 'auto' ? `<meta http-equiv="refresh" content="${delayS}">` : '';
  return `${refresh}<style>${STYLE}:root{--bw-delay:${delayS}s}</style>`;
}

const COUNTDOWN =
  '<script>(function(){var e=document.getElementById("bw-count");if(!e)return;var n=+e.textContent;' +
  'var t=setInterval(function(){if(n>1){e.textContent=--n}else{clearInterval(t)}},1000)})()</script>';

const RESEND =
  '<script>(function(){var b=document.getElementById("bw-resend");if(b){b.hidden=false;b.onclick=function(){location.reload()}}})()</script>';

/** The block shown under the page's message (before the request ID). */
export function retryBody(mode: RetryMode, delayS: number): string {
  const s = delayS === 1 ? 'second' : 'seconds';
  if (mode === 'auto') {
    return (
      `<p id="bw-retry" role="status">This page will try again by itself in <strong id="bw-count">${delayS}</strong> ${s}. ` +
      'You do not need to do anything.</p><div class="bw-bar" aria-hidden="true"><div></div></div>' +
      '<p><a href="">Try again now</a></p>' +
      COUNTDOWN
    );
  }
  return (
    '<p id="bw-retry">Your browser was sending information to the site (for example a form). It is not sent again ' +
    `automatically, so that nothing is sent twice. Please wait about ${delayS} ${s}, then send it again.</p>` +
    '<div class="bw-bar" aria-hidden="true"><div></div></div>' +
    '<p><button type="button" id="bw-resend" hidden>Send it again</button></p>' +
    '<noscript><p>To send it again, use your browser&#39;s reload button: it will ask whether to send the information again.</p></noscript>' +
    RESEND
  );
}
