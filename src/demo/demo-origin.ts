/**
 * The built-in demo origin: a small newsroom-like site on loopback for `bulwark demo` / `npm start`,
 * the drill and the tests' default config. HTML pages, a static stylesheet, a deliberately slow search
 * endpoint (the expensive endpoint attackers love), a contact form, a JSON API and an RSS feed.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const CSS = `body{font:1.05rem/1.5 Georgia,serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}
header a{margin-right:1rem}footer{margin-top:3rem;color:#555;font-size:.9rem}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} — Demo Herald</title>
<link rel="stylesheet" href="/static/style.css"></head><body>
<header><a href="/">Home</a><a href="/news/1">News</a><a href="/search?q=election">Search</a><a href="/contact">Contact</a></header>
<main><h1>${title}</h1>${body}</main><footer>Demo Herald — a demo site behind Bulwark.</footer></body></html>`;
}

const ARTICLES = [
  'Polling stations open across the country',
  'Candidates debate the budget',
  'Results expected after midnight',
];

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res: ServerResponse, status: number, type: string, body: string, cache = 'no-cache'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': cache });
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse, searchDelayMs: number): void {
  const url = new URL(req.url ?? '/', 'http://demo');
  const path = url.pathname;
  if (path === '/') {
    const list = ARTICLES.map((t, i) => `<li><a href="/news/${i + 1}">${t}</a></li>`).join('');
    return send(res, 200, 'text/html; charset=utf-8', page('Demo Herald', `<p>Live coverage of election night.</p><ul>${list}</ul>`), 'public, max-age=5');
  }
  const news = /^\/news\/(\d+)$/.exec(path);
  if (news) {
    const article = ARTICLES[Number(news[1]) - 1];
    if (!article) return send(res, 404, 'text/html; charset=utf-8', page('Not found', '<p>No such article.</p>'));
    return send(res, 200, 'text/html; charset=utf-8', page(article, `<p>${article}. Full story follows.</p>`), 'public, max-age=10');
  }
  if (path === '/static/style.css') return send(res, 200, 'text/css', CSS, 'public, max-age=3600');
  if (path === '/search') {
    const q = url.searchParams.get('q') ?? '';
    setTimeout(() => {
      const hits = ARTICLES.filter((t) => t.toLowerCase().includes(q.toLowerCase()));
      send(res, 200, 'text/html; charset=utf-8', page(`Search: ${escape(q)}`, `<p>${hits.length} result(s).</p>`), 'no-store');
    }, searchDelayMs);
    return;
  }
  if (path === '/contact' && req.method === 'POST') {
    let size = 0;
    req.on('data', (c: Buffer) => (size += c.length));
    req.on('end', () => send(res, 200, 'text/html; charset=utf-8', page('Thank you', `<p>Your message (${size} bytes) was received.</p>`), 'no-store'));
    return;
  }
  if (path === '/contact') {
    return send(
      res,
      200,
      'text/html; charset=utf-8',
      page('Contact', '<form method="post" action="/contact"><label for="m">Message</label><br><textarea id="m" name="message"></textarea><br><button>Send</button></form>'),
    );
  }
  if (path === '/api/status') return send(res, 200, 'application/json', JSON.stringify({ ok: true, articles: ARTICLES.length }), 'no-store');
  if (path === '/feed.xml') {
    const items = ARTICLES.map((t, i) => `<item><title>${t}</title><link>/news/${i + 1}</link></item>`).join('');
    return send(res, 200, 'application/rss+xml', `<?xml version="1.0"?><rss version="2.0"><channel><title>Demo Herald</title>${items}</channel></rss>`, 'public, max-age=60');
  }
  if (path === '/robots.txt') return send(res, 200, 'text/plain', 'User-agent: *\nAllow: /\n', 'public, max-age=3600');
  return send(res, 404, 'text/html; charset=utf-8', page('Not found', '<p>No such page.</p>'));
}

export interface DemoOrigin {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the demo origin on 127.0.0.1 (port 0 = any free port). */
export function startDemoOrigin(port = 0, searchDelayMs = 300): Promise<DemoOrigin> {
  const server = http.createServer((req, res) => handle(req, res, searchDelayMs));
  server.keepAliveTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const p = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${p}`,
        port: p,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
