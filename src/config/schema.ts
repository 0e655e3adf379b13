/**
 * The one strict schema of `bulwark.yaml`: types,
 * defaults and validation live here and nowhere else. Every object is strict — an unknown key is an
 * error naming its path — and `bulwark schema` exports this as JSON Schema for editors.
 *
 * Keys are snake_case. Durations accept `500ms`/`10s`/`5m`/`1h` or a number of milliseconds; sizes accept
 * `16kb`/`10mb` or a number of bytes.
 */
import { z } from 'zod';
import { cidrSchema } from './cidr-schema.ts';
import { identifySchema, listsSchema } from './identify-schema.ts';
import { duration, size } from './schema-units.ts';
import { shieldSchema } from './shield-schema.ts';
import { challengeSchema } from './challenge-schema.ts';
import { globalPolicySchema, sitePolicySchema } from './policy-schema.ts';
import { detectionSchema } from './detection-schema.ts';
import { reportsSchema } from './reports-schema.ts';
import { parseListenAddress } from './listen-address.ts';
import { adminSchema } from './admin-schema.ts';
import { http2Schema } from './http2-schema.ts';
import { tlsSchema } from './tls-schema.ts';
import { kernelDropSchema, sharedStateSchema, workerAcceptSchema, workersSchema } from './scale-schema.ts';

export { adminSchema } from './admin-schema.ts';

const listenAddress = z.string().refine((s) => parseListenAddress(s) !== null, {
  message: 'expected host:port with an IP literal, e.g. 127.0.0.1:8080 or [::]:8443',
});

const originUrl = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.search === '' && u.hash === '';
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// origin URL without credentials, query or fragment' },
);

const hostname = z
  .string()
  .regex(/^(\*|\*\.[a-z0-9.-]+|[a-z0-9.-]+|\[[0-9a-f:.]+\])$/i, { message: 'expected a hostname, *.example.org or *' })
  .transform((h) => h.toLowerCase());

const cidr = cidrSchema;

export const connectionsSchema = z
  .strictObject({
    header_timeout: duration('time allowed to receive a complete request head', { min: '1s', max: '5m' }).default(10_000),
    request_timeout: duration('time allowed to receive a complete request, body included; at least header_timeout', { min: '1s', max: '1d' }).default(30_000),
    keep_alive_timeout: duration('idle time before a keep-alive connection is closed', { min: '100ms', max: '10m' }).default(5_000),
    idle_timeout: duration('a connection with no traffic in either direction for this long is closed', { min: '100ms', max: '1h' }).default(60_000),
    send_timeout: duration('a response the client does not read for this long is aborted (slow read)', { min: '1s', max: '1h' }).default(30_000),
    min_body_rate: size('minimum upload rate in bytes per second once body_rate_grace has passed (slow POST); 0 disables', { min: 1, max: '1gb', off: true }).default(1024),
    min_send_rate: size('minimum rate a client must read a response at, in bytes per second, once body_rate_grace has passed (slow read); 0 disables', { min: 1, max: '1gb', off: true }).default(256),
    body_rate_grace: duration('time before min_body_rate is enforced', { min: '1s', max: '10m' }).default(5_000),
    max_header_bytes: size('largest request head accepted (431 beyond)', { min: '1kb', max: '1mb' }).default(16 * 1024),
    max_connections: z.number().int().positive().default(20_000).describe('open client connections in total'),
    max_connections_per_client: z.number().int().positive().default(128).describe('open connections per client address'),
    drain_timeout: duration('on shutdown or reload, in-flight requests get this long to finish', { min: '100ms', max: '1h' }).default(10_000),
  })
  .superRefine((c, ctx) => {
    // node:http refuses to start with a head timeout longer than the whole request's.
    if (c.header_timeout > c.request_timeout) ctx.addIssue({ code: 'custom', path: ['header_timeout'], message: 'header_timeout must not exceed request_timeout' });
  })
  .describe('Connection hygiene toward clients: defaults hold against slowloris, slow POST and slow read.');

export const originOptionsSchema = z.strictObject({
  connect_timeout: duration('time to open a connection to the origin (504 beyond)', { min: '100ms', max: '5m' }).default(5_000),
  headers_timeout: duration("time to receive the origin's response head (504 beyond)", { min: '100ms', max: '1h' }).default(30_000),
  body_timeout: duration('longest silence inside a response body from the origin', { min: '100ms', max: '1h' }).default(30_000),
  max_connections: z.number().int().positive().default(256).describe('connections per origin in the keep-alive pool'),
  keep_alive_timeout: duration('idle time before a pooled origin connection is closed', { min: '100ms', max: '10m' }).default(4_000),
  preserve_host: z.boolean().default(true).describe("send the request's Host to the origin, normalised (lower case, default port dropped): the value the cache key holds; else the origin URL's host"),
  tls_verify: z.boolean().default(true).describe('verify the certificate of an https origin'),
});

export const siteSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, { message: 'site names are 1-63 characters: letters, digits, _ . -' }),
  hosts: z.array(hostname).min(1).describe('hostnames routed to this site; *.example.org and * (any host) allowed'),
  origins: z.array(originUrl).min(1).describe('origin URLs (http or https)'),
  tls: z
    .strictObject({
      cert: z.string().min(1).describe('PEM certificate file (the chain after it)'),
      key: z.string().min(1).describe('PEM private key file of that certificate'),
      additional: z
        .array(z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }))
        .max(3)
        .default([])
        .describe('more certificate/key pairs for the same names, of another key type (an ECDSA pair beside an RSA one): clients that accept ECDSA get it'),
    })
    .optional()
    .describe('PEM certificate and key files, chosen by SNI on the https listeners; re-read on SIGHUP and when the files change'),
  max_body_bytes: size('largest request body accepted (413 beyond); 0 accepts none', { min: 0, max: '1024gb' }).default(10 * 1024 * 1024),
  refused_methods: z
    .array(z.string().regex(/^[A-Za-z]{1,32}$/, { message: 'expected a method name such as TRACE' }).transform((m) => m.toUpperCase()))
    .default(['TRACE', 'TRACK'])
    .describe('methods answered 405 and never forwarded (TRACE and TRACK echo the request back: cross-site tracing)'),
  origin: originOptionsSchema.prefault({}),
  shield: shieldSchema.prefault({}),
  challenge: challengeSchema.prefault({}),
  policy: sitePolicySchema.prefault({}),
});


export const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  access_log: z
    .strictObject({
      path: z.string().min(1).describe('file the access log is appended to'),
      format: z.enum(['json', 'combined']).default('json').describe('JSON lines, or Combined Log Format for stock parsers'),
    })
    .optional(),
});

export const listenSchema = z.strictObject({
  http: z.array(listenAddress).default(['127.0.0.1:8080']).describe('plain HTTP listeners'),
  https: z.array(listenAddress).default([]).describe('HTTPS listeners; certificates come from the sites (SNI)'),
});

export const configSchema = z
  .strictObject({
    state_dir: z.string().min(1).default('./.bulwark').describe('directory for durable state: bans, incidents, keys'),
    state_on_corrupt: z
      .enum(['refuse', 'quarantine'])
      .default('refuse')
      .describe('a corrupt state database: refuse to start (default), or move it aside and start with empty state'),
    listen: listenSchema.prefault({}),
    admin: adminSchema.prefault({}),
    log: logSchema.prefault({}),
    trusted_proxies: z
      .array(cidr)
      .default([])
      .describe('peers whose X-Forwarded-For is believed (the rightmost untrusted address is the client)'),
    connections: connectionsSchema.prefault({}),
    identify: identifySchema.prefault({}),
    lists: listsSchema.prefault({}),
    policy: globalPolicySchema.prefault({}),
    detection: detectionSchema.prefault({}),
    workers: workersSchema,
    worker_accept: workerAcceptSchema,
    shared_state: sharedStateSchema.optional(),
    kernel_drop: kernelDropSchema,
    reports: reportsSchema.prefault({}),
    tls: tlsSchema.prefault({}),
    http2: http2Schema.prefault({}),
    sites: z.array(siteSchema).min(1).describe('the protected sites'),
  })
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    const hosts = new Map<string, string>();
    cfg.sites.forEach((site, i) => {
      if (names.has(site.name)) ctx.addIssue({ code: 'custom', path: ['sites', i, 'name'], message: `duplicate site name "${site.name}"` });
      names.add(site.name);
      site.hosts.forEach((h, j) => {
        const other = hosts.get(h);
        if (other !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['sites', i, 'hosts', j], message: `host "${h}" is already routed to site "${other}"` });
        }
        hosts.set(h, site.name);
      });
    });
    if (cfg.listen.https.length > 0 && !cfg.sites.some((s) => s.tls)) {
      ctx.addIssue({ code: 'custom', path: ['listen', 'https'], message: 'https listeners need at least one site with tls.cert and tls.key' });
    }
    if (cfg.listen.http.length + cfg.listen.https.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['listen'], message: 'at least one http or https listener is needed' });
    }
  });

/** The validated, normalised config (durations in ms, sizes in bytes, defaults filled). */
export type Config = z.output<typeof configSchema>;
export type SiteConfig = Config['sites'][number];
export type ConnectionsConfig = Config['connections'];
export type OriginOptions = SiteConfig['origin'];
