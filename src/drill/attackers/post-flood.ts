/**
 * POST flood against expensive endpoints (search, login, forms): form-encoded bodies with random values,
 * so no cache can answer them. Covers the docs/threats.md class "expensive endpoints".
 */
import { runHttpFlood, type FloodOptions } from './http-flood.ts';
import { flatHeaders, nextHeaders, pick, token, type HeaderMode, type Random } from './traffic-shapes.ts';
import type { AttackResult } from './attack-result.ts';

/** Options of {@link runPostFlood}. */
export interface PostFloodOptions extends FloodOptions {
  /** Endpoints to hit. Default `['/search', '/login']`. */
  readonly paths?: readonly string[];
  /** Form fields sent (values are random). Default `q` for /search, `user`+`password` otherwise. */
  readonly fields?: readonly string[];
  /** Pad the body to at least this many bytes. Default 0. */
  readonly minBodyBytes?: number;
  /** Default `{ kind: 'browser' }`. */
  readonly headers?: HeaderMode;
}

/** Runs a POST flood until its bounds stop it. */
export function runPostFlood(options: PostFloodOptions): Promise<AttackResult> {
  const paths = options.paths ?? ['/search', '/login'];
  const headers = options.headers ?? { kind: 'browser' };
  return runHttpFlood('post_flood', options, (_i, random) => {
    const path = pick(random, paths);
    const body = formBody(path, options, random);
    return {
      method: 'POST',
      path,
      headers: [...flatHeaders(nextHeaders(headers, random)), 'content-type', 'application/x-www-form-urlencoded'],
      body,
    };
  });
}

/** A random urlencoded form body for `path`. */
export function formBody(path: string, options: Pick<PostFloodOptions, 'fields' | 'minBodyBytes'>, random: Random): string {
  const fields = options.fields ?? (path.includes('search') ? ['q'] : ['user', 'password']);
  let body = fields.map((f) => `${encodeURIComponent(f)}=${token(random, 12)}`).join('&');
  const min = options.minBodyBytes ?? 0;
  if (body.length < min) body += `&pad=${'x'.repeat(min - body.length - 5)}`;
  return body;
}
