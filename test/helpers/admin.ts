/**
 * Raw requests to an admin listener over node:http, so a test controls every header — Host, Origin,
 * Content-Type, Cookie — exactly as an attacking page or a DNS-rebinding name would send them.
 */
import http from 'node:http';

export interface AdminCall {
  readonly method?: string;
  readonly path: string;
  /** Headers sent as given (a `host` here replaces the listener's own address). */
  readonly headers?: Record<string, string>;
  /** A JSON value (sent with Content-Type application/json unless `headers` says otherwise) or raw text. */
  readonly body?: unknown;
  readonly rawBody?: string;
  /** Resolve on the status line and headers, then close (for endless answers such as event streams). */
  readonly headersOnly?: boolean;
}

export interface AdminAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: any;
}

/** Sends one request to `baseUrl` (`http://127.0.0.1:PORT`) and reads the whole answer. */
export function adminCall(baseUrl: string, call: AdminCall): Promise<AdminAnswer> {
  const url = new URL(baseUrl);
  const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  const headers: Record<string, string> = { host: url.host, ...(call.body !== undefined && call.rawBody === undefined ? { 'content-type': 'application/json' } : {}), ...call.headers };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, method: call.method ?? 'GET', path: call.path, headers, agent: false }, (res) => {
      if (call.headersOnly && res.statusCode === 200) {
        resolve({ status: 200, headers: res.headers, text: '', json: undefined });
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('admin call timed out')));
    req.end(body);
  });
}
