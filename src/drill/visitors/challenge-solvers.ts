/**
 * The simulated visitors' side of Bulwark's challenge: a browser that runs the JavaScript
 * proof of work (solved here in Node with the same SHA-256 puzzle), and a client without JavaScript that
 * follows the page's meta refresh after the wait it announces. Both post their answer as the visitor
 * (same source address, same cookie jar) and then retry the original request.
 */
import type { PowWork } from '../../core/challenge/pow.ts';
import { solvePowOffThread } from './pow-off-thread.ts';
import type { ChallengeSolver, VisitorRequest, VisitorResponse } from './visitor-http.ts';

function attr(html: string, re: RegExp): string | undefined {
  return re.exec(html)?.[1];
}

function unescapeHtml(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** What a challenge page asks for, read from its HTML; undefined when it is not one. */
export interface ChallengeForm {
  readonly token: string;
  readonly returnPath: string;
  readonly seed: string;
  /** The proof of work asked: sub-challenges and their leading zero bits. */
  readonly work: PowWork;
  /** The no-JS refresh target and its delay in seconds, when the page offers the no-JS path. */
  readonly noJs?: { readonly url: string; readonly delayS: number };
}

export function readChallengeForm(html: string): ChallengeForm | undefined {
  const seed = attr(html, /data-seed="([^"]+)"/);
  const count = attr(html, /data-count="(\d+)"/);
  const bits = attr(html, /data-bits="(\d+)"/);
  const token = attr(html, /name="token" value="([^"]+)"/);
  if (seed === undefined || count === undefined || bits === undefined || token === undefined) return undefined;
  const returnPath = unescapeHtml(attr(html, /name="return" value="([^"]*)"/) ?? '/');
  const refresh = /<meta http-equiv="refresh" content="(\d+);url=([^"]+)"/.exec(html);
  return {
    token: unescapeHtml(token),
    returnPath,
    seed: unescapeHtml(seed),
    work: { count: Number(count), bits: Number(bits) },
    noJs: refresh ? { url: unescapeHtml(refresh[2]!), delayS: Number(refresh[1]) } : undefined,
  };
}

/** The visitor's own User-Agent: a challenge token is bound to it, so the answer must carry it too. */
function userAgentOf(req: VisitorRequest): [string, string][] {
  const ua = (req.headers ?? []).find(([name]) => name.toLowerCase() === 'user-agent');
  return ua === undefined ? [] : [['user-agent', ua[1]]];
}

/**
 * The verify answer cleared the visitor: its 303, or (when the send followed redirects) wherever the
 * redirects led that is neither a challenge nor Bulwark's own route — a failed check is answered at the
 * verify URL itself. The page at the end may be a try-again page (the site is busy): the visitor passed
 * the check all the same, and its retry of the request follows that page.
 */
function cleared(answer: VisitorResponse): boolean {
  if (answer.status === 303) return true;
  return answer.headers['x-bulwark-challenge'] === undefined && !new URL(answer.url).pathname.startsWith('/.bulwark/') && (answer.status < 400 || answer.status >= 429);
}

function isChallengePage(r: VisitorResponse): boolean {
  return r.headers['x-bulwark-challenge'] === 'page';
}

/** Solves the JavaScript proof of work in Node (at most `maxIterations` hashes) and posts the answer. */
export function createJsChallengeSolver(maxIterations = 1 << 24): ChallengeSolver {
  return async (challenge, ctx) => {
    if (!isChallengePage(challenge)) return { solved: false };
    const form = readChallengeForm(challenge.body);
    if (form === undefined) return { solved: false };
    // Off the drill's event loop: a visitor's browser solves on its own device, not in the origin's process.
    const solution = await solvePowOffThread(form.seed, form.work, maxIterations);
    if (solution === null) return { solved: false };
    const body = new URLSearchParams({ token: form.token, return: form.returnPath, solution }).toString();
    const answer = await ctx.send({ url: '/.bulwark/challenge/verify', method: 'POST', headers: [['content-type', 'application/x-www-form-urlencoded'], ...userAgentOf(ctx.request)], body });
    return { solved: cleared(answer), answerStatus: answer.status };
  };
}

/** Follows the no-JS meta refresh after its delay (bounded by `maxWaitS`). */
export function createNoJsChallengeSolver(maxWaitS = 15, signal?: AbortSignal): ChallengeSolver {
  return async (challenge, ctx) => {
    if (!isChallengePage(challenge)) return { solved: false };
    const form = readChallengeForm(challenge.body);
    if (form?.noJs === undefined || form.noJs.delayS > maxWaitS) return { solved: false };
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, form.noJs!.delayS * 1000);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
    const answer = await ctx.send({ url: form.noJs.url, method: 'GET', headers: userAgentOf(ctx.request) });
    return { solved: cleared(answer), answerStatus: answer.status };
  };
}
