/**
 * The frame every challenge-family page shares (the challenge, the retry page, the cookies-off page):
 * the same document head — English, UTF-8, mobile viewport, kept out of search indexes, one static
 * stylesheet — and the same footer with the request ID and a word for the operator, so the pages look
 * and behave alike and a change to the frame is made once.
 */
import { PAGE_STYLES_LINK } from './styles.ts';
import { TEXT } from './texts.ts';

/**
 * The document up to and including `</head>`. `title` is markup (escaped by the caller); `beforeTitle`
 * goes right after the robots meta (the retry page's refresh), `extra` right before `</head>` (the
 * challenge page's no-JS refresh). Both default to nothing.
 */
export function pageHead(title: string, extra = '', beforeTitle = ''): string {
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">\n' +
    '<meta name="robots" content="noindex,nofollow">\n' +
    `${beforeTitle}<title>${title}</title>\n${PAGE_STYLES_LINK}\n${extra}</head>\n`
  );
}

/** The footer: the request ID to quote to the operator (`requestId` escaped by the caller), and who runs the site. */
export function pageFooter(requestId: string): string {
  return `<footer>\n<p>${TEXT.reference(`<code>${requestId}</code>`)}</p>\n<p>${TEXT.operator}</p>\n</footer>\n`;
}

/** What closes a page without a script. */
export const PAGE_END = '</main>\n</body>\n</html>\n';
