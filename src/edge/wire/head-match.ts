/**
 * Telling request heads apart and recognising copies of one, for the wire: header lists compared from
 * the field most likely to differ, a cheap tag of a list, the canonical bytes of a head, and how many
 * whole copies of it a read holds. Pure functions over strings and buffers.
 */

/**
 * Whether two header lists are equal, compared from the last field to the first: the fields that
 * change from one request to the next (a cookie, a cache-busting field a tool adds) come last in
 * browsers' and load tools' order, so a request that does not repeat the one before is told apart in a
 * compare or two instead of after the long, constant fields (Host, User-Agent, Accept...).
 */
export function sameFieldsFromLast(a: readonly string[], b: readonly string[]): boolean {
  let i = a.length;
  if (i !== b.length) return false;
  while (i-- > 0) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A number that differs between two header lists more often than not, read from the newest request
 * only: the number of fields and the length and last two characters of the last value (where the
 * fields that vary from request to request sit, see sameFieldsFromLast). Equal tags prove nothing;
 * different tags prove the lists differ. The previous request's list is then never read: by the time
 * the connection's next request arrives, it has left the processor's caches.
 */
export function fieldsTag(rawHeaders: readonly string[]): number {
  const n = rawHeaders.length;
  if (n === 0) return 0;
  const last = rawHeaders[n - 1]!;
  const len = last.length;
  return n * 0x1000000 + (len & 0xff) * 0x10000 + (len > 0 ? (last.charCodeAt(len - 1) & 0xff) * 0x100 : 0) + (len > 1 ? last.charCodeAt(len - 2) & 0xff : 0);
}

/** The request head as a client writes it in canonical form: `Name: value` lines, CRLF, no extra space. */
export function canonicalHead(method: string, url: string, version: string, rawHeaders: readonly string[]): Buffer {
  let text = `${method} ${url} HTTP/${version}\r\n`;
  for (let i = 0; i < rawHeaders.length; i += 2) text += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  // node:http decodes the target and header values as latin1: encoding back gives the bytes it read.
  return Buffer.from(text + '\r\n', 'latin1');
}

/** How many whole copies of `head` `chunk` starts with (what follows them may be anything). */
export function leadingCopies(chunk: Buffer, head: Buffer): number {
  const n = head.length;
  if (n === 0) return 0;
  if (chunk.length === n) return chunk.equals(head) ? 1 : 0;
  let copies = 0;
  for (let at = 0; at + n <= chunk.length && chunk.compare(head, 0, n, at, at + n) === 0; at += n) copies++;
  return copies;
}

/** Whether `chunk` is one or more whole copies of `head` and nothing else. */
export function onlyCopies(chunk: Buffer, head: Buffer): boolean {
  return head.length > 0 && chunk.length > 0 && chunk.length % head.length === 0 && leadingCopies(chunk, head) === chunk.length / head.length;
}
