/**
 * The challenge interstitial, rendered by a pure function: no external resource of any kind (inline CSS
 * and JS under the response's CSP nonce, the solver in a Blob worker), plain and ordered HTML that works
 * without CSS, and a path for browsers without JavaScript.
 *
 * - JS path: the hidden `#bw-js` block (shown by the script) holds a labelled `<progress>` and a polite
 *   live status line; the solver fills `solution` in `#bw-form` and submits it.
 * - No-JS path (when `noJsWaitS > 0`): a `<noscript>` meta refresh to the verify endpoint after the wait,
 *   plus a form with a button for browsers that ignore refreshes. The server enforces the wait from the
 *   token's signed issue time, so leaving early gains nothing. When closed, `<noscript>` says why.
 * - For a method other than GET/HEAD the page explains that the form was not sent and links back.
 */

import { escapeHtml } from './html.ts';
import { PAGE_STYLES } from './styles.ts';
import { SOLVER_SCRIPT } from './solver-script.ts';
import { REASON_TEXT, TEXT, type PageReason } from './texts.ts';
import { CHALLENGE_VERIFY_PATH } from '../return-path.ts';

/** Everything the challenge page shows. */
export interface ChallengePageInput {
  /** The site's display name (escaped here). */
  readonly siteName: string;
  readonly reason: PageReason;
  /** The challenge token (base64url). */
  readonly token: string;
  /** The proof-of-work seed (the token's nonce). */
  readonly seed: string;
  readonly difficulty: number;
  /** Sanitised same-site return path. */
  readonly returnPath: string;
  /** Seconds to wait on the no-JS path; 0 when it is closed. */
  readonly noJsWaitS: number;
  /** The method of the challenged request. */
  readonly method: string;
  readonly requestId: string;
  /** The nonce in this response's Content-Security-Policy. */
  readonly cspNonce: string;
}

const VERIFY = escapeHtml(CHALLENGE_VERIFY_PATH);

function head(title: string, nonce: string, extra: string): string {
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">\n' +
    '<meta name="robots" content="noindex,nofollow">\n' +
    `<title>${title}</title>\n<style nonce="${nonce}">${PAGE_STYLES}</style>\n${extra}</head>\n`
  );
}

function hiddenFields(token: string, returnPath: string): string {
  return `<input type="hidden" name="token" value="${token}">\n<input type="hidden" name="return" value="${returnPath}">\n`;
}

function noJsBlock(p: ChallengePageInput, token: string, returnPath: string): string {
  if (p.noJsWaitS <= 0) return `<noscript>\n<h2>${TEXT.noJsClosedHeading}</h2>\n<p>${TEXT.noJsClosed}</p>\n</noscript>\n`;
  return (
    `<noscript>\n<h2>${TEXT.noJsHeading}</h2>\n<p>${TEXT.noJsOpen(p.noJsWaitS)}</p>\n` +
    `<form method="post" action="${VERIFY}">\n${hiddenFields(token, returnPath)}` +
    `<input type="hidden" name="nojs" value="1">\n<button type="submit">${TEXT.noJsButton}</button>\n</form>\n</noscript>\n`
  );
}

function footer(requestId: string): string {
  return `<footer>\n<p>${TEXT.reference(`<code>${requestId}</code>`)}</p>\n<p>${TEXT.operator}</p>\n</footer>\n`;
}

/** Renders the challenge page. Pure: the same input gives the same HTML. */
export function renderChallengePage(p: ChallengePageInput): string {
  const site = escapeHtml(p.siteName);
  const token = escapeHtml(p.token);
  const returnPath = escapeHtml(p.returnPath);
  const nonce = escapeHtml(p.cspNonce);
  const refresh =
    p.noJsWaitS > 0
      ? `<noscript><meta http-equiv="refresh" content="${p.noJsWaitS + 1};url=${VERIFY}?token=${token}&amp;nojs=1&amp;return=${escapeHtml(encodeURIComponent(p.returnPath))}"></noscript>\n`
      : '';
  const otherMethod =
    p.method === 'GET' || p.method === 'HEAD'
      ? ''
      : `<h2>${TEXT.formHeading}</h2>\n<p>${TEXT.formText}</p>\n<p><a href="${returnPath}">${TEXT.formLink}</a></p>\n`;
  return (
    head(`${TEXT.title} &ndash; ${site}`, nonce, refresh) +
    `<body>\n<main>\n<h1>${TEXT.title}</h1>\n<p>${TEXT.intro(site)} ${REASON_TEXT[p.reason]}</p>\n` +
    `<div id="bw-js" hidden>\n<p>${TEXT.jsWorking}</p>\n` +
    `<label for="bw-progress">${TEXT.progressLabel}</label>\n<progress id="bw-progress" max="100" value="0">0%</progress>\n` +
    `<p id="bw-status" role="status" aria-live="polite">${TEXT.statusStart}</p>\n</div>\n` +
    `<form id="bw-form" method="post" action="${VERIFY}" data-seed="${escapeHtml(p.seed)}" data-difficulty="${p.difficulty | 0}">\n` +
    `${hiddenFields(token, returnPath)}<input type="hidden" name="solution" value="">\n</form>\n` +
    noJsBlock(p, token, returnPath) +
    otherMethod +
    `<p>${TEXT.privacy}</p>\n` +
    footer(escapeHtml(p.requestId)) +
    `</main>\n<script nonce="${nonce}">${SOLVER_SCRIPT}</script>\n</body>\n</html>\n`
  );
}
