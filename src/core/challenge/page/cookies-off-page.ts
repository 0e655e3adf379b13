/**
 * The "cookies switched off" page: for a visitor who passed the challenge but comes back without the
 * clearance cookie. It tells them so in plain words and how to fix it — it never bans them.
 */

import { escapeHtml } from './html.ts';
import { PAGE_END, pageFooter, pageHead } from './shell.ts';
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
    pageHead(`${TEXT.cookiesTitle} &ndash; ${site}`) +
    `<body>\n<main>\n<h1>${TEXT.cookiesTitle}</h1>\n<p>${TEXT.cookiesPassed(site)}</p>\n` +
    `<p>${TEXT.cookiesWhat(`<code>${CLEARANCE_COOKIE_NAME}</code>`, describeDuration(p.clearanceLifetimeS))}</p>\n` +
    `<p>${TEXT.cookiesFix(site)}</p>\n<p><a href="${escapeHtml(p.returnPath)}">${TEXT.cookiesRetry}</a></p>\n` +
    pageFooter(escapeHtml(p.requestId)) +
    PAGE_END
  );
}
