/**
 * The challenge at the edge: answering a `challenge` decision (page, status-only answer, or pass for what
 * must never be challenged) and serving Bulwark's own routes under `/.bulwark/` — `challenge/verify` (the
 * submitted answer), `challenge/return` (did the cookie come back?), and the solver script and the
 * pages' stylesheet (static, cacheable). These routes are answered by Bulwark and never forwarded; they run after `decide`, so rate
 * limits and bans apply to them like to any request.
 */
import type { ServerResponse } from 'node:http';
import {
  CHALLENGE_RETURN_PATH, CHALLENGE_VERIFY_PATH, challengeReturnPath, MAX_SUBMISSION_LENGTH, PAGE_STYLES, PAGE_STYLES_HEADERS, PAGE_STYLES_PATH, parseSubmission,
  SOLVER_SCRIPT, SOLVER_SCRIPT_HEADERS, SOLVER_SCRIPT_PATH,
  type ChallengeTarget, type GateResponse,
} from '../../core/challenge/index.ts';
import { challengeClientOf } from '../challenge-client.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, DONE, type PhaseResult } from '../phase.ts';
import { PAGES, sendPage } from '../pages/pages.ts';
import { prepareFields, writePreparedHead, type PreparedFields } from '../pages/prepared-head.ts';
import { recordEscalation } from '../escalate.ts';

/** The header that tells clients and monitors this answer is a challenge: `page` or `status`. */
export const CHALLENGE_HEADER = 'x-bulwark-challenge';

/**
 * Heads of the gate's constant header sets (the challenge page's, the status-only answers'), validated
 * once per set and marker: a page or status answer then writes one prepared block plus its length and
 * request ID (pipeline/pages/prepared-head.ts) instead of ten validated fields.
 */
const prepared = new WeakMap<object, Map<string, PreparedFields>>();

function preparedOf(headers: Readonly<Record<string, string>>, marker: string): PreparedFields | undefined {
  if (!Object.isFrozen(headers)) return undefined;
  let byMarker = prepared.get(headers);
  if (byMarker === undefined) prepared.set(headers, (byMarker = new Map()));
  let fields = byMarker.get(marker);
  if (fields === undefined) {
    const pairs: string[] = [];
    for (const name in headers) pairs.push(name, headers[name]!);
    if (marker !== '') pairs.push(CHALLENGE_HEADER, marker);
    byMarker.set(marker, (fields = prepareFields(pairs)));
  }
  return fields;
}

/**
 * Sends a gate response. The body is written as latin1 text in the same write as the head (one string,
 * no Buffer copy, no writev); Bulwark's pages are ASCII, and latin1 makes the length exactly the
 * string's length in any case.
 */
function send(ctx: RequestContext, r: GateResponse, marker?: 'page' | 'status'): void {
  const res: ServerResponse = ctx.res;
  if (res.headersSent) return;
  const body = ctx.req.method === 'HEAD' ? undefined : r.body;
  const fields = preparedOf(r.headers, marker ?? '');
  if (fields !== undefined) {
    writePreparedHead(res, r.status, fields, ['content-length', String(r.body.length), 'x-request-id', ctx.id]);
  } else {
    const pairs: string[] = [];
    for (const name in r.headers) pairs.push(name, r.headers[name]!);
    if (marker !== undefined) pairs.push(CHALLENGE_HEADER, marker);
    pairs.push('content-length', String(r.body.length), 'x-request-id', ctx.id);
    res.writeHead(r.status, pairs);
  }
  res.end(body, 'latin1');
}

/** The static files the pages load (same bytes for every site), with their heads validated once. */
const ASSETS = new Map(
  [
    [SOLVER_SCRIPT_PATH, SOLVER_SCRIPT, SOLVER_SCRIPT_HEADERS],
    [PAGE_STYLES_PATH, PAGE_STYLES, PAGE_STYLES_HEADERS],
  ].map(([path, body, headers]) => [
    path as string,
    { body: body as string, fields: prepareFields([...Object.entries(headers as Record<string, string>).flat(), 'content-length', String((body as string).length)]) },
  ]),
);

/** Serves the solver script or the stylesheet (core/challenge/page/solver-script.ts, styles.ts). */
function sendAsset(ctx: RequestContext, asset: { body: string; fields: PreparedFields }): void {
  writePreparedHead(ctx.res, 200, asset.fields, ['x-request-id', ctx.id]);
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : asset.body, 'latin1');
}

/**
 * What a challenge for this request would be: a page, a status-only answer (feed readers, API clients,
 * command-line tools, subresources — clients that cannot solve a page), or a pass (ACME, verified
 * crawlers...). The site's exemptions decide (core/challenge/exemptions.ts).
 */
export function challengeTargetOf(ctx: RequestContext): ChallengeTarget {
  const req = ctx.req;
  const q = ctx.path.indexOf('?');
  return ctx.site!.challenge.classify({
    method: req.method ?? 'GET',
    path: q === -1 ? ctx.path : ctx.path.slice(0, q),
    accept: req.headers.accept,
    secFetchDest: req.headers['sec-fetch-dest'] as string | undefined,
    clientClass: ctx.uaClass,
    hasUserAgent: req.headers['user-agent'] !== undefined,
    verifiedCrawler: ctx.verifiedCrawler,
  });
}

/** Answers a `challenge` decision. CONTINUE when this request must not be challenged (robots.txt, ACME...). */
export function answerChallenge(ctx: RequestContext, difficulty: number | undefined, status?: number): PhaseResult {
  const site = ctx.site!;
  const gate = site.challenge;
  const req = ctx.req;
  const target = challengeTargetOf(ctx);
  if (target.kind === 'pass') return CONTINUE;
  ctx.end('challenged');
  if (target.kind === 'status_only') {
    site.challengeStats.statusOnly(ctx.decision.by);
    send(ctx, gate.statusOnly(ctx.level), 'status');
    return DONE;
  }
  const tag = site.challengeStats.issued(ctx.decision.by);
  const issued = gate.issue(
    {
      client: challengeClientOf(ctx),
      level: ctx.level,
      difficulty,
      method: req.method ?? 'GET',
      returnPath: challengeReturnPath(req.method ?? 'GET', ctx.path, req.headers.referer, ctx.host),
      requestId: ctx.id,
      status,
      tag,
    },
    ctx.startMs,
  );
  ctx.challengeEvent = 'issued';
  send(ctx, issued, 'page');
  return DONE;
}

/** Reads at most MAX_SUBMISSION_LENGTH characters of a form body; null when longer or broken. */
function readForm(ctx: RequestContext): Promise<string | null> {
  return new Promise((resolve) => {
    const req = ctx.req;
    let text = '';
    let done = false;
    const finish = (v: string | null) => {
      if (done) return;
      done = true;
      resolve(v);
    };
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_SUBMISSION_LENGTH) {
        finish(null);
        req.destroy();
      }
    });
    req.on('end', () => finish(text));
    req.on('error', () => finish(null));
    req.on('close', () => finish(done ? text : null));
  });
}

function verify(ctx: RequestContext, encoded: string | null): PhaseResult {
  const site = ctx.site!;
  const method = ctx.req.method ?? 'GET';
  const sub = encoded === null ? undefined : parseSubmission(method, encoded);
  ctx.end('challenged');
  if (sub === undefined) {
    ctx.challengeEvent = 'failed';
    site.challengeStats.failed('malformed', undefined);
    sendPage(ctx.res, PAGES.badRequest, ctx.id, ctx.req.headers.accept);
    return DONE;
  }
  const out = site.challenge.verify(sub, { ...challengeClientOf(ctx), secure: ctx.secure }, ctx.id, Date.now());
  if (out.ok) {
    ctx.challengeEvent = 'solved';
    site.challengeStats.solved(out.result.challenge.tag, out.result.solveMs);
  } else {
    ctx.challengeEvent = 'failed';
    ctx.errorCode = `BULWARK_ERR_CHALLENGE_${out.result.reason.toUpperCase()}`;
    site.challengeStats.failed(out.result.reason, out.result.challenge?.tag);
    // Repeated failed, forged or replayed answers escalate like refusals (an early no-JS answer or a
    // full replay set is not the client's fault).
    const reason = out.result.reason;
    if (reason !== 'too_early' && reason !== 'busy' && ctx.runtime.config.policy.escalation.challenge_failures) {
      recordEscalation(ctx, `challenge/${reason}`);
    }
  }
  send(ctx, out.response);
  return DONE;
}

/** Serves `/.bulwark/...` (never forwarded). */
export function serveBulwarkRoute(ctx: RequestContext): PhaseResult | Promise<PhaseResult> {
  const q = ctx.path.indexOf('?');
  const path = q === -1 ? ctx.path : ctx.path.slice(0, q);
  const query = q === -1 ? '' : ctx.path.slice(q + 1);
  const method = ctx.req.method ?? 'GET';
  if (path === CHALLENGE_VERIFY_PATH) {
    if (method === 'POST') return readForm(ctx).then((text) => verify(ctx, text));
    if (method === 'GET' || method === 'HEAD') return verify(ctx, query);
  } else if (ASSETS.has(path) && (method === 'GET' || method === 'HEAD')) {
    ctx.end('challenged');
    sendAsset(ctx, ASSETS.get(path)!);
    return DONE;
  } else if (path === CHALLENGE_RETURN_PATH && (method === 'GET' || method === 'HEAD')) {
    ctx.end('challenged');
    send(ctx, ctx.site!.challenge.afterVerify(query, ctx.req.headers.cookie, ctx.id));
    return DONE;
  }
  ctx.end('rejected');
  sendPage(ctx.res, { status: 404, reason: 'not_found', title: 'Not found', message: 'There is nothing here.' }, ctx.id, ctx.req.headers.accept);
  return DONE;
}
