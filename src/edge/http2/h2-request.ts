/**
 * An HTTP/2 stream's request, shaped like node:http's IncomingMessage as far as the pipeline reads one,
 * so every phase runs unchanged for HTTP/2 (adapting at the edge, not forking the pipeline):
 * `method`, `url` (`:path`), `httpVersion` `2.0`, `headers` and `rawHeaders` in their HTTP/1.1 view
 * (h2-headers.ts), `socket` (the connection's TLS socket: the connection memo, the peer address and
 * `destroy` for a drop all mean the connection, as for HTTP/1.1) and the body as a readable stream.
 *
 * A body without Content-Length (HTTP/2 frames its bodies, RFC 9113 §8.1) is announced to the pipeline
 * as `transfer-encoding: chunked` in `headers` — a body of unknown length, as HTTP/1.1 says it — so
 * forward streams it (and caps it at max_body_bytes) as it does a chunked upload; `rawHeaders`, which
 * the fingerprint and the origin see, keep what the client sent.
 *
 * The record's bytes are the stream's own (pipeline/context.ts, kStreamBytes): the request's header
 * list size as RFC 9113 §6.5.2 counts it plus its body bytes, and the response's the same way.
 */
import type { ServerHttp2Stream } from 'node:http2';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { kStreamBytes, type StreamBytes } from '../../pipeline/context.ts';
import { headersObjectOf, headListSize, h1ViewOf } from './h2-headers.ts';

/** Counts of one stream, shared by its request and response. */
export class StreamCounts implements StreamBytes {
  bytesIn = 0;
  bytesOut = 0;
  /** Body bytes received and when the last arrived (the stream guard's slow-body check). */
  bodyBytes = 0;
  lastBodyMs = 0;
  take(): { bytesIn: number; bytesOut: number } {
    return { bytesIn: this.bytesIn, bytesOut: this.bytesOut };
  }
}

export class H2Request extends Readable {
  readonly method: string;
  readonly url: string;
  readonly httpVersion = '2.0';
  readonly httpVersionMajor = 2;
  readonly httpVersionMinor = 0;
  readonly headers: Record<string, string | string[]>;
  readonly rawHeaders: string[];
  readonly socket: TLSSocket;
  readonly stream: ServerHttp2Stream;
  readonly [kStreamBytes]: StreamCounts;
  /** The whole body has arrived (node:http's name). */
  complete = false;
  /** Whether the stream carries a body that has not all arrived yet. */
  readonly hasBody: boolean;

  constructor(stream: ServerHttp2Stream, raw: readonly string[], endStream: boolean, socket: TLSSocket, counts: StreamCounts, nowMs: number) {
    super();
    this.stream = stream;
    this.socket = socket;
    this[kStreamBytes] = counts;
    let method = 'GET';
    let path = '';
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i] === ':method') method = raw[i + 1]!;
      else if (raw[i] === ':path') path = raw[i + 1]!;
    }
    this.method = method;
    this.url = path;
    const view = h1ViewOf(raw);
    this.rawHeaders = view.rawHeaders;
    this.headers = headersObjectOf(view.rawHeaders);
    counts.bytesIn = headListSize(raw);
    counts.lastBodyMs = nowMs;
    this.hasBody = !endStream;
    if (endStream) {
      this.complete = true;
      this.push(null);
      return;
    }
    if (this.headers['content-length'] === undefined) this.headers['transfer-encoding'] = 'chunked';
    stream.on('data', (chunk: Buffer) => {
      counts.bytesIn += chunk.length;
      counts.bodyBytes += chunk.length;
      counts.lastBodyMs = Date.now();
      if (!this.push(chunk)) stream.pause();
    });
    stream.once('end', () => {
      this.complete = true;
      this.push(null);
    });
  }

  override _read(): void {
    if (this.hasBody && !this.complete) this.stream.resume();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    done(err);
  }
}
