/**
 * The nginx reference for the attack benchmark: nginx with `limit_req` per client address in front of
 * the drill's origin fixture — the classic "just put nginx in front" defence. Written as a minimal
 * nginx.conf in a temp dir, run as ONE process (`daemon off; master_process off;`, so its CPU and peak
 * memory read from /proc cover everything) on a free loopback port, stopped by PID.
 *
 * Limits: `rate` requests/s per address with a `burst` (nodelay), answered 429 beyond. It trusts
 * X-Forwarded-For from 127.0.0.1 only (realip), as the drill's Bulwark does for the IPv6 rotation
 * scenario, so both see the same client addresses. Responses are buffered in memory only
 * (`proxy_max_temp_file_size 0`): by default nginx would spool a slow reader's whole download to disk
 * (gigabytes in the slow-read scenario). Skipped when /usr/sbin/nginx is not installed.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnManaged, type Protector, type ProtectorFactory } from '../../src/drill/bulwark-process.ts';

/** Where nginx is expected (Debian's nginx-light). */
export const NGINX_PATH = '/usr/sbin/nginx';

/** Whether the nginx reference can run here. */
export function hasNginx(): boolean {
  return existsSync(NGINX_PATH);
}

/** Options of {@link nginxProtector}. */
export interface NginxOptions {
  /** Requests per second per client address. Default 20. */
  readonly ratePerS?: number;
  /** Burst allowed above the rate (nodelay). Default 40. */
  readonly burst?: number;
}

/** The nginx.conf for one origin and port (exported for reading and tests). */
export function nginxConf(dir: string, port: number, originUrl: string, o: NginxOptions = {}): string {
  const origin = new URL(originUrl);
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  set_real_ip_from 127.0.0.1/32;
  real_ip_header X-Forwarded-For;
  limit_req_zone $binary_remote_addr zone=perip:10m rate=${o.ratePerS ?? 20}r/s;
  limit_req_status 429;
  upstream origin { server ${origin.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      limit_req zone=perip burst=${o.burst ?? 40} nodelay;
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_max_temp_file_size 0;
    }
  }
}
`;
}

/** A free TCP port on 127.0.0.1 (bound then released; nginx binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** nginx + limit_req as a drill protector. */
export function nginxProtector(o: NginxOptions = {}): ProtectorFactory {
  return {
    name: 'nginx',
    async start({ originUrl }) {
      const dir = mkdtempSync(join(tmpdir(), 'bulwark-nginx-'));
      mkdirSync(join(dir, 'tmp'));
      const port = await freePort();
      writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, port, originUrl, o));
      const proc = spawnManaged([NGINX_PATH, '-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf')], { stopTimeoutMs: 5000 });
      const url = `http://127.0.0.1:${port}`;
      let stopped: ReturnType<Protector['stop']> | undefined;
      const protector: Protector = {
        name: 'nginx',
        url,
        pid: proc.pid,
        usage: () => proc.usage(),
        alive: () => proc.alive(),
        stop: () => (stopped ??= proc.stop().finally(() => rmSync(dir, { recursive: true, force: true }))),
      };
      try {
        await waitListening(url, proc.alive);
        return { ...protector, readyUsage: proc.usage() };
      } catch (err) {
        await protector.stop();
        throw new Error(`nginx did not start: ${(err as Error).message}\n${proc.logTail()}`);
      }
    },
  };
}

async function waitListening(url: string, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('exited');
    try {
      const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('not listening after 10 s');
}
