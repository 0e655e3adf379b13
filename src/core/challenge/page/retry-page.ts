/**
 * The small page answered when a submitted check fails (expired, not accepted, site busy): it says so in
 * one sentence and sends the visitor back to the page they wanted, where a fresh challenge awaits. It
 * mints nothing, so a flood of bogus submissions costs Bulwark one tiny template each.
 */

import { escapeHtml } from './html.ts';
import { PAGE_END, pageFooter, pageHead } from './shell.ts';
import { REASON_TEXT, TEXT, type PageReason } from './texts.ts';

/** What the retry page shows. */
export interface RetryPageInput {
  readonly siteName: string;
  readonly reason: PageReason;
  /** Sanitised same-site path to go back to. */
  readonly returnPath: string;
  /** Seconds before the automatic return (meta refresh); the link works at once. */
  readonly refreshS: number;
  readonly requestId: string;
}

/** Renders the retry page. */
export function renderRetryPage(p: RetryPageInput): string {
  const site = escapeHtml(p.siteName);
  const back = escapeHtml(p.returnPath);
  return (
    pageHead(`${TEXT.retryTitle} &ndash; ${site}`, '', `<meta http-equiv="refresh" content="${Math.max(1, p.refreshS | 0)};url=${back}">\n`) +
    `<body>\n<main>\n<h1>${TEXT.retryTitle}</h1>\n<p>${REASON_TEXT[p.reason]}</p>\n` +
    `<p>${TEXT.retryText}</p>\n<p><a href="${back}">${TEXT.retryLink}</a></p>\n` +
    pageFooter(escapeHtml(p.requestId)) +
    PAGE_END
  );
}
