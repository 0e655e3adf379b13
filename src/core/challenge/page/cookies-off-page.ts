/**
 * The "cookies switched off" page: for a visitor who passed the challenge but comes back without the
 * clearance cookie. It tells them so in plain words and how to fix it — it never bans them.
 */

import { escapeHtml } from './html.ts';
import { PAGE_STYLES_LINK } from './styles.ts';
import { TEXT, describeDuration } from './texts.ts';
import { CLEARANCE_COOKIE_NAME } from '../cookie.ts';

/** What the cookies-off page shows. */
export interface CookiesOffPageInput {
  readonly siteName: string;
  /** Sanitised same-site path for the "try again" link. */
  readonly returnPath: string;
  /** The clearance lifetime, to say how long the cookie would last. */
  readonly clearanceLifetimeS: number;
  readonly requestId: string;
}

/** Renders the cookies-off page (no script; the style is allowed by its hash). */
export function renderCookiesOffPage(p: CookiesOffPageInput): string {
  const site = escapeHtml(p.siteName);
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">\n<meta name="robots" content="noindex,nofollow">\n' +
    `<title>${TEXT.cookiesTitle} &ndash; ${site}</title>\n${PAGE_STYLES_LINK}\n</head>\n` +
    `<body>\n<main>\n<h1>${TEXT.cookiesTitle}</h1>\n<p>${TEXT.cookiesPassed(site)}</p>\n` +
    `<p>${TEXT.cookiesWhat(`<code>${CLEARANCE_COOKIE_NAME}</code>`, describeDuration(p.clearanceLifetimeS))}</p>\n` +
    `<p>${TEXT.cookiesFix(site)}</p>\n<p><a href="${escapeHtml(p.returnPath)}">${TEXT.cookiesRetry}</a></p>\n` +
    `<footer>\n<p>${TEXT.reference(`<code>${escapeHtml(p.requestId)}</code>`)}</p>\n<p>${TEXT.operator}</p>\n</footer>\n` +
    '</main>\n</body>\n</html>\n'
  );
}
