/**
 * A visitor without JavaScript: curl, wget, a feed reader, a text browser (accessibility tools). It sends
 * `Accept: *\/*` (or a feed's Accept for feed paths), keeps no cookies unless told to, and follows
 * redirects. When answered with a challenge it calls `solveChallenge` — the no-JS (meta-refresh) challenge
 * follower the challenge issue plugs in — and retries once; without it, a challenge is not served.
 */
import { pick, type HeaderList } from '../attackers/traffic-shapes.ts';
import { sendLogical, type ChallengeSolver } from './visitor-http.ts';
import { recordLogical, type Visitor, type VisitorDeps } from './visitor.ts';

/** Options of {@link createNoJsVisitor}. */
export interface NoJsVisitorOptions {
  /** Paths fetched (one per visit). Default `['/', '/feed']`. */
  readonly paths?: readonly string[];
  /** Hook: follows a no-JS (meta-refresh) challenge. */
  readonly solveChallenge?: ChallengeSolver;
}

/** User agents of clients without JavaScript. */
export const NOJS_USER_AGENTS: readonly string[] = [
  'curl/8.14.1',
  'Wget/1.25.0',
  'Feedly/1.0 (+https://feedly.com/poller.html; 12 subscribers)',
  'NetNewsWire (RSS Reader; https://netnewswire.com/)',
  'Lynx/2.9.2 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.8.9',
];

const FEED_ACCEPT = 'application/rss+xml, application/atom+xml;q=0.9, application/xml;q=0.8, */*;q=0.5';

/** Creates one no-JS visitor (pass a jar on `deps.client` only if it should keep cookies). */
export function createNoJsVisitor(deps: VisitorDeps, options: NoJsVisitorOptions = {}): Visitor {
  const ua = NOJS_USER_AGENTS[deps.index % NOJS_USER_AGENTS.length];
  const hooks = { isChallenge: deps.isChallenge, solve: options.solveChallenge };
  return {
    kind: 'nojs',
    localAddress: deps.client.localAddress,
    async visit(mayRequest) {
      if (!mayRequest()) return;
      const path = pick(deps.random, options.paths ?? ['/', '/feed']);
      const isFeed = /feed|\.rss$|\.xml$|atom/.test(path);
      const headers: HeaderList = [
        ['user-agent', ua],
        ['accept', isFeed ? FEED_ACCEPT : ua.startsWith('Lynx') ? 'text/html, text/plain, */*;q=0.01' : '*/*'],
      ];
      recordLogical(deps, await sendLogical(deps.client, { url: path, headers }, hooks));
    },
  };
}
