/**
 * The challenge interstitial, rendered by a pure function: plain and ordered HTML that works without CSS,
 * one stylesheet and one script — the solver (./solver-script.ts) — both static, served by Bulwark itself
 * from the site's own origin and cached by the browser, and a path for browsers without JavaScript.
 *
 * - JS path: the hidden `#bw-js` block (shown by the script) says how long the puzzle takes on a slow
 *   phone and holds a labelled `<progress>` and a polite live status line; the solver fills `solution`
 *   in `#bw-form` and submits it.
 * - No-JS path (when `noJsWaitS > 0`): a `<noscript>` meta refresh to the verify endpoint after the wait,
 *   plus, inside the same form, a `nojs` field and a button for browsers that ignore refreshes. The server enforces the wait from the
 *   token's signed issue time, so leaving early gains nothing. When closed, `<noscript>` says why.
 * - For a method other than GET/HEAD the page explains that the form was not sent and links back.
 */

import { escapeHtml } from './html.ts';
import { pageFooter, pageHead } from './shell.ts';
import { SOLVER_SCRIPT_INTEGRITY, SOLVER_SCRIPT_PATH } from './solver-script.ts';
import { REASON_TEXT, TEXT, type PageReason } from './texts.ts';
import { CHALLENGE_VERIFY_PATH } from '../return-path.ts';
import type { PowWork } from '../pow.ts';

/** Everything the challenge page shows. */
export interface ChallengePageInput {
  /** The site's display name (escaped here). */
  readonly siteName: string;
  readonly reason: PageReason;
  /** The challenge token (base64url). */
  readonly token: string;
  /** The proof-of-work seed (the token's nonce, base64url). */
  readonly seed: string;
  /** The proof of work asked. */
  readonly work: PowWork;
  /** Seconds the puzzle takes on the reference slow phone (said on the page), ≥ 1. */
  readonly expectedS: number;
  /** Sanitised same-site return path. */
  readonly returnPath: string;
  /** Seconds to wait on the no-JS path; 0 when it is closed. */
  readonly noJsWaitS: number;
  /** The method of the challenged request. */
  readonly method: string;
  readonly requestId: string;
}

const VERIFY = escapeHtml(CHALLENGE_VERIFY_PATH);

function hiddenFields(token: string, returnPath: string): string {
  return `<input type="hidden" name="token" value="${token}">\n<input type="hidden" name="return" value="${returnPath}">\n`;
}

/** Inside the form: without JavaScript, its button sends the same token with `nojs=1` (no second form). */
function noJsBlock(p: ChallengePageInput): string {
  if (p.noJsWaitS <= 0) return `<noscript>\n<h2>${TEXT.noJsClosedHeading}</h2>\n<p>${TEXT.noJsClosed}</p>\n</noscript>\n`;
  return (
    `<noscript>\n<h2>${TEXT.noJsHeading}</h2>\n<p>${TEXT.noJsOpen(p.noJsWaitS)}</p>\n` +
    `<input type="hidden" name="nojs" value="1">\n<button type="submit">${TEXT.noJsButton}</button>\n</noscript>\n`
  );
}

/** Renders the challenge page. Pure: the same input gives the same HTML. */
export function renderChallengePage(p: ChallengePageInput): string {
  const site = escapeHtml(p.siteName);
  const token = escapeHtml(p.token);
  const returnPath = escapeHtml(p.returnPath);
  const refresh =
    p.noJsWaitS > 0
      ? `<noscript><meta http-equiv="refresh" content="${p.noJsWaitS + 1};url=${VERIFY}?token=${token}&amp;nojs=1&amp;return=${escapeHtml(encodeURIComponent(p.returnPath))}"></noscript>\n`
      : '';
  const otherMethod =
    p.method === 'GET' || p.method === 'HEAD'
      ? ''
      : `<h2>${TEXT.formHeading}</h2>\n<p>${TEXT.formText}</p>\n<p><a href="${returnPath}">${TEXT.formLink}</a></p>\n`;
  return (
    pageHead(`${TEXT.title} &ndash; ${site}`, refresh) +
    `<body>\n<main>\n<h1>${TEXT.title}</h1>\n<p>${TEXT.intro(site)} ${REASON_TEXT[p.reason]}</p>\n` +
    `<div id="bw-js" hidden>\n<p>${TEXT.jsWorking(Math.max(1, p.expectedS | 0))}</p>\n` +
    `<label for="bw-progress">${TEXT.progressLabel}</label>\n<progress id="bw-progress" max="100" value="0">0%</progress>\n` +
    `<p id="bw-status" role="status" aria-live="polite">${TEXT.statusStart}</p>\n</div>\n` +
    `<form id="bw-form" method="post" action="${VERIFY}" data-seed="${escapeHtml(p.seed)}" data-count="${p.work.count | 0}" data-bits="${p.work.bits | 0}">\n` +
    `${hiddenFields(token, returnPath)}<input type="hidden" name="solution" value="">\n` +
    noJsBlock(p) +
    '</form>\n' +
    otherMethod +
    `<p>${TEXT.privacy}</p>\n` +
    pageFooter(escapeHtml(p.requestId)) +
    `</main>\n<script src="${SOLVER_SCRIPT_PATH}" integrity="${SOLVER_SCRIPT_INTEGRITY}"></script>\n</body>\n</html>\n`
  );
}

/**
 * The same page, from a template compiled once per site name, reason, work, no-JS wait and method kind:
 * the request-specific values (token, seed, return path, request ID) are dropped into the gaps, so
 * issuing a challenge costs a few string joins instead of re-rendering the page. Token and seed are
 * base64url and the request ID is [A-Za-z0-9._:-] (see request-id.ts), so only the return path needs
 * escaping. Output is identical to {@link renderChallengePage}.
 */
const MARK = {
  token: '\u0001T\u0001',
  seed: '\u0001S\u0001',
  path: '\u0001R\u0001',
  pathUri: '%01U%01',
  id: '\u0001I\u0001',
} as const;
const GAP = /\u0001[TSRI]\u0001|%01U%01/g;

/** What stays the same on every page of one template. */
export type ChallengePageShape = Omit<ChallengePageInput, 'token' | 'seed' | 'returnPath' | 'requestId'>;

/** A compiled page: the literal text between the gaps, and which value goes in each gap. */
export interface ChallengePageTemplate {
  readonly literals: readonly string[];
  readonly gaps: readonly string[];
  /** The site name could be mistaken for a gap marker (never in practice): render plainly instead. */
  readonly plain: ChallengePageShape | null;
}

/** Compiles the template of one page shape (the caller keeps it: see the gate's per-site cache). */
export function compileChallengePage(shape: ChallengePageShape): ChallengePageTemplate {
  if (shape.siteName.includes('\u0001') || shape.siteName.includes('%01U%01')) return { literals: [], gaps: [], plain: shape };
  const html = renderChallengePage({ ...shape, token: MARK.token, seed: MARK.seed, returnPath: MARK.path, requestId: MARK.id })
    .replaceAll(escapeHtml(encodeURIComponent(MARK.path)), MARK.pathUri);
  const literals: string[] = [];
  const gaps: string[] = [];
  let last = 0;
  for (const m of html.matchAll(GAP)) {
    literals.push(html.slice(last, m.index));
    gaps.push(m[0]);
    last = m.index! + m[0].length;
  }
  literals.push(html.slice(last));
  return { literals, gaps, plain: null };
}

const SAFE_PATH = /^[A-Za-z0-9\-._~/?=%+,;:@!$()*]*$/;

/** The page of `t` for one request (identical to {@link renderChallengePage} with the same values). */
export function fillChallengePage(t: ChallengePageTemplate, token: string, seed: string, returnPath: string, requestId: string): string {
  if (t.plain !== null) return renderChallengePage({ ...t.plain, token, seed, returnPath, requestId });
  const path = SAFE_PATH.test(returnPath) ? returnPath : escapeHtml(returnPath);
  let uri: string | undefined;
  let out = t.literals[0]!;
  for (let i = 0; i < t.gaps.length; i++) {
    const g = t.gaps[i]!;
    let v: string;
    if (g === MARK.token) v = token;
    else if (g === MARK.seed) v = seed;
    else if (g === MARK.path) v = path;
    else if (g === MARK.pathUri) v = uri ??= escapeHtml(encodeURIComponent(returnPath));
    else v = requestId;
    out += v + t.literals[i + 1]!;
  }
  return out;
}

const templates = new Map<string, ChallengePageTemplate>();
/** Templates kept by {@link renderChallengePageFast}; the map is cleared when full. */
const MAX_TEMPLATES = 512;

/**
 * {@link renderChallengePage} through templates cached by shape (for pages whose shape is not known
 * ahead, e.g. the no-JS "too early" page with the remaining wait).
 */
export function renderChallengePageFast(p: ChallengePageInput): string {
  const key = `${p.siteName}\u0000${p.reason}\u0000${p.noJsWaitS}\u0000${p.work.count}.${p.work.bits}.${p.expectedS}\u0000${p.method === 'GET' || p.method === 'HEAD' ? 'g' : 'o'}`;
  let t = templates.get(key);
  if (t === undefined) {
    t = compileChallengePage({ siteName: p.siteName, reason: p.reason, work: p.work, expectedS: p.expectedS, noJsWaitS: p.noJsWaitS, method: p.method });
    if (templates.size >= MAX_TEMPLATES) templates.clear();
    templates.set(key, t);
  }
  return fillChallengePage(t, p.token, p.seed, p.returnPath, p.requestId);
}
