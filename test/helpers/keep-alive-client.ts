/**
 * One keep-alive HTTP/1.1 connection from a chosen loopback source address that writes raw bytes and
 * reads whole responses in order — for tests that pipeline, split or repeat requests byte for byte.
 */
import net from 'node:net';

export interface Answer {
  readonly status: number;
  /** The whole response as received (head and body), latin1. */
  readonly raw: string;
  /** Header fields in order, names lower-cased. */
  readonly fields: readonly (readonly [string, string])[];
  /** Header fields by lower-cased name (the last one of a repeated name). */
  readonly headers: Readonly<Record<string, string>>;
  /** The first field of that (lower-cased) name. */
  header(name: string): string | undefined;
}

export class KeepAliveClient {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  closed = false;
  /** Bytes received so far. */
  received = 0;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      this.buffer = Buffer.concat([this.buffer, d]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => {});
  }

  static async open(port: number, localAddress: string): Promise<KeepAliveClient> {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    await new Promise((resolve) => socket.once('connect', resolve));
    return new KeepAliveClient(socket);
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /**
   * Writes `bytes` in pieces of the given lengths (then the rest), yielding to the event loop between
   * pieces so they tend to arrive as separate reads (TCP may still join some).
   */
  async writeInPieces(bytes: Buffer, lengths: readonly number[]): Promise<void> {
    let at = 0;
    for (const n of lengths) {
      if (at >= bytes.length) break;
      this.write(bytes.subarray(at, at + n));
      at += n;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (at < bytes.length) this.write(bytes.subarray(at));
  }

  /** Reads the next response (`head`: it answers a HEAD request, so no body); null if the server closed or 5 s passed. */
  async read(head = false): Promise<Answer | null> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const text = this.buffer.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end !== -1) {
        const lines = text.slice(0, end).split('\r\n');
        const fields = lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const);
        const headers = Object.fromEntries(fields);
        const length = head ? 0 : Number(headers['content-length'] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const raw = text.slice(0, end + 4 + length);
          this.buffer = this.buffer.subarray(end + 4 + length);
          return { status: Number(lines[0]!.split(' ')[1]), raw, fields, headers, header: (name) => fields.find(([n]) => n === name)?.[1] };
        }
      }
      if (this.closed || Date.now() > deadline) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiting = () => {
          clearTimeout(t);
          this.waiting = null;
          resolve();
        };
      });
    }
  }

  /** Writes one request and reads its answer. */
  async send(request: string, head = false): Promise<Answer | null> {
    this.write(request);
    return this.read(head);
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Pipelines `requests` on `c` while not reading its answers for half a second, then reads them all.
 * Returns how many requests `recorded()` counted while unread (a server that keeps node:http's
 * backpressure stops once the kernel's buffers are full) and the answers' request IDs in order; each
 * answer must have `status`.
 */
export async function floodUnread(c: KeepAliveClient, requests: readonly string[], status: number, recorded: () => number): Promise<{ whilePaused: number; ids: string[] }> {
  const start = recorded();
  c.socket.pause();
  c.write(Buffer.from(requests.join(''), 'latin1'));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const whilePaused = recorded() - start;
  c.socket.resume();
  const ids: string[] = [];
  for (let i = 0; i < requests.length; i++) {
    const a = await c.read();
    if (a === null || a.status !== status) throw new Error(`answer ${i}: ${a === null ? 'none' : a.status}`);
    ids.push(a.headers['x-request-id']!);
  }
  return { whilePaused, ids };
}

/**
 * A 429 answer with what differs between two answers of one refusal blanked: request ID, Date, the
 * limit's clock, and the retry delay (it follows from Retry-After and the request ID). Two answers of
 * the same shape are the same answer byte for byte otherwise.
 */
export function refusalShape(raw: string): string {
  return raw
    .replace(/[a-z2-7]{8}-[0-9a-z]{6}/g, 'ID')
    .replace(/Date: [^\r]+/, 'Date: -')
    .replace(/;t=\d+/, ';t=-')
    .replace(/retry-after: \d+/, 'retry-after: -')
    .replace(/refresh: \d+/, 'refresh: -')
    .replace(/content="\d+"/, 'content="-"')
    .replace(/--bw-delay:\d+s/, '--bw-delay:-s')
    .replace(/id="bw-count">\d+</, 'id="bw-count">-<')
    .replace(/in <strong id="bw-count">-<\/strong> seconds?/, 'in <strong id="bw-count">-</strong> s');
}
