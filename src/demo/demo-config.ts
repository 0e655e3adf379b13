/**
 * The demo configuration: one site answering every host on loopback in front of the demo origin. It is
 * also the drill's default target config. Built in code because the origin's port is chosen at start.
 */
export interface DemoConfigOptions {
  readonly originUrl: string;
  readonly listen?: string;
  readonly admin?: string | null;
  readonly stateDir?: string;
  readonly logLevel?: string;
}

/** Returns the demo config as plain data (validated by the caller like any config file). */
export function demoConfigInput(o: DemoConfigOptions): Record<string, unknown> {
  return {
    state_dir: o.stateDir ?? './.bulwark-demo',
    listen: { http: [o.listen ?? '127.0.0.1:8080'] },
    admin: { listen: o.admin === undefined ? '127.0.0.1:9901' : o.admin },
    log: { level: o.logLevel ?? 'info' },
    // A sensible starting policy for a small newsroom site (also the drill's default target).
    policy: {
      limits: [
        { name: 'per-address', average: 20, period: '1s', burst: 40, key: ['address'] },
        { name: 'per-prefix', average: 100, period: '1s', burst: 200, key: ['prefix'] },
        { name: 'search', average: 2, period: '1s', burst: 5, key: ['address'], match: { path: '/search' } },
        { name: 'forms', average: 1, period: '10s', burst: 3, key: ['address'], match: { path: '/contact', methods: ['POST'] } },
      ],
    },
    sites: [
      {
        name: 'demo',
        hosts: ['*'],
        origins: [o.originUrl],
        shield: {
          cache: {
            micro_ttl: '2s',
            ignore_query_paths: ['/', '/news/*', '/static/**'],
            key_pages: ['/'],
          },
        },
        challenge: { site_name: 'Demo Herald', api_paths: ['/api/**'] },
      },
    ],
  };
}
