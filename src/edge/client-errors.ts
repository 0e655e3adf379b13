/**
 * What happens when node:http's parser refuses a request before it becomes a request:
 * oversized heads (431), timeouts (408), and every framing ambiguity llhttp rejects in strict
 * mode — Content-Length with Transfer-Encoding, duplicate or conflicting Content-Length, invalid chunked
 * encoding, obsolete line folding, invalid header names or methods (400). Nothing has been forwarded
 * yet. Bulwark answers with its own short page and closes the connection.
 */
import type { Socket } from 'node:net';
import { PAGES, rawPage, type PageSpec } from '../pipeline/pages/pages.ts';

export interface ClientErrorVerdict {
  /** The page to send, or null when the socket should just be closed (reset, or already answering). */
  readonly page: PageSpec | null;
  readonly code: string;
}

/** Maps a node:http `clientError` to Bulwark's answer. */
export function classifyClientError(err: Error & { code?: string }): ClientErrorVerdict {
  const code = err.code ?? 'BULWARK_ERR_PARSE';
  switch (code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return { page: null, code };
    case 'HPE_HEADER_OVERFLOW':
      return { page: PAGES.headersTooLarge, code };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return { page: PAGES.requestTimeout, code };
    default:
      return { page: PAGES.badRequest, code };
  }
}

/** Writes the verdict's page (if the socket can still take it) and closes the connection. */
export function answerClientError(socket: Socket, verdict: ClientErrorVerdict, requestId: string): number {
  if (verdict.page === null || !socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return 0;
  }
  const text = rawPage(verdict.page, requestId);
  socket.end(text);
  // Don't wait for a slow reader to take the page.
  setTimeout(() => socket.destroy(), 1000).unref();
  return Buffer.byteLength(text);
}
