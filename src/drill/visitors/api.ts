/**
 * An API client with a key: `Accept: application/json`, `Authorization: Bearer <key>`, a library user
 * agent, no cookies. It cannot solve challenges (a challenged API call is not served) unless a hook is
 * given — API traffic should be recognised by its key, not challenged.
 */
import { pick, type HeaderList } from '../attackers/traffic-shapes.ts';
import { sendLogical, type ChallengeSolver } from './visitor-http.ts';
import { recordLogical, type Visitor, type VisitorDeps } from './visitor.ts';

/** Options of {@link createApiVisitor}. */
export interface ApiVisitorOptions {
  /** Endpoints called (one per visit). Default `['/api/items', '/api/status']`. */
  readonly paths?: readonly string[];
  /** The key of visitor `i`. Default `drill-api-key-<i>`. */
  readonly apiKey?: (index: number) => string;
  readonly solveChallenge?: ChallengeSolver;
}

/** Creates one API visitor. */
export function createApiVisitor(deps: VisitorDeps, options: ApiVisitorOptions = {}): Visitor {
  const key = options.apiKey?.(deps.index) ?? `drill-api-key-${deps.index}`;
  const headers: HeaderList = [
    ['accept', 'application/json'],
    ['authorization', `Bearer ${key}`],
    ['user-agent', deps.index % 2 === 0 ? 'okhttp/4.12.0' : 'python-httpx/0.28.1'],
  ];
  const hooks = { isChallenge: deps.isChallenge, solve: options.solveChallenge };
  return {
    kind: 'api',
    localAddress: deps.client.localAddress,
    async visit(mayRequest) {
      if (!mayRequest()) return;
      const path = pick(deps.random, options.paths ?? ['/api/items', '/api/status']);
      recordLogical(deps, await sendLogical(deps.client, { url: path, headers }, hooks));
    },
  };
}
