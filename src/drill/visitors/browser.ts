/**
 * A browser-like visitor: keeps a cookie jar, follows redirects, sends Chrome's navigation headers with a
 * realistic user agent, fetches a page then the assets it links (stylesheets, scripts, images; same site,
 * at most `maxAssets`). When the page is a challenge, it calls `solveChallenge` — the JavaScript-challenge
 * solver the challenge issue plugs in — and retries; without a solver a challenge is not served. With
 * `follow`, a page that retries itself (Bulwark's try-again pages) is followed like a browser left on it.
 */
import { BROWSER_USER_AGENTS, CHROME_HEADERS, pick, type HeaderList } from '../attackers/traffic-shapes.ts';
import { sendLogical, type ChallengeSolver, type RefreshFollowing } from './visitor-http.ts';
import { recordLogical, type Visitor, type VisitorDeps } from './visitor.ts';

/** Options of {@link createBrowserVisitor}. */
export interface BrowserVisitorOptions {
  /** Pages visited (one per visit). Default `['/']`. */
  readonly pages?: readonly string[];
  /** Assets fetched per page at most. Default 4. */
  readonly maxAssets?: number;
  /** Hook: solves a JavaScript challenge page (the challenge issue supplies it). */
  readonly solveChallenge?: ChallengeSolver;
  /** Stay on a page that retries itself (Refresh / meta refresh) as a browser does, up to this much waiting. */
  readonly follow?: RefreshFollowing;
}

/** Creates one browser visitor; its jar must be set on `deps.client`. */
export function createBrowserVisitor(deps: VisitorDeps, options: BrowserVisitorOptions = {}): Visitor {
  const ua = BROWSER_USER_AGENTS[deps.index % BROWSER_USER_AGENTS.length];
  const navigation: HeaderList = CHROME_HEADERS.map(([n, v]) => [n, n === 'user-agent' ? ua : v] as const);
  const hooks = { isChallenge: deps.isChallenge, solve: options.solveChallenge, follow: options.follow };
  return {
    kind: 'browser',
    localAddress: deps.client.localAddress,
    async visit(mayRequest) {
      if (!mayRequest()) return;
      const page = pick(deps.random, options.pages ?? ['/']);
      const result = await sendLogical(deps.client, { url: page, headers: navigation }, hooks);
      recordLogical(deps, result);
      const res = result.response;
      if (!result.served || !res || !String(res.headers['content-type'] ?? '').includes('html')) return;
      for (const asset of linkedAssets(res.body, res.url, deps.client.site).slice(0, options.maxAssets ?? 4)) {
        if (!mayRequest() || deps.client.signal.aborted) return;
        const headers: HeaderList = [
          ['user-agent', ua],
          ['accept', asset.accept],
          ['sec-fetch-dest', asset.dest],
          ['sec-fetch-mode', 'no-cors'],
          ['sec-fetch-site', 'same-origin'],
          ['referer', res.url],
          ['accept-encoding', 'gzip, deflate, br, zstd'],
          ['accept-language', 'en-US,en;q=0.9'],
        ];
        recordLogical(deps, await sendLogical(deps.client, { url: asset.url, headers }, hooks), true);
      }
    },
  };
}

/** An asset linked from a page. */
export interface LinkedAsset {
  readonly url: string;
  readonly dest: 'style' | 'script' | 'image';
  readonly accept: string;
}

const ASSET_PATTERNS: ReadonlyArray<readonly [RegExp, LinkedAsset['dest'], string]> = [
  [/<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']/gi, 'style', 'text/css,*/*;q=0.1'],
  [/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi, 'script', '*/*'],
  [/<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi, 'image', 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8'],
];

/** The same-site assets a page links, in document order of kind (styles, scripts, images), deduplicated. */
export function linkedAssets(html: string, pageUrl: string, site: URL): LinkedAsset[] {
  const seen = new Set<string>();
  const out: LinkedAsset[] = [];
  for (const [pattern, dest, accept] of ASSET_PATTERNS) {
    for (const m of html.matchAll(pattern)) {
      let url: URL;
      try {
        url = new URL(m[1], pageUrl);
      } catch {
        continue;
      }
      if (url.origin !== site.origin || seen.has(url.href)) continue;
      seen.add(url.href);
      out.push({ url: url.href, dest, accept });
    }
  }
  return out;
}
