/**
 * The three config keys that grow Bulwark past one process (README, "Scaling out"):
 *
 * - `workers`: processes serving requests on this machine. `1` (the default) is one process, exactly as
 *   before; `auto` is one per core; `N` is N. With more than one, a primary process starts the workers,
 *   which accept on the shared socket (or, `worker_accept: primary`, get connections handed over by the
 *   primary) and share bans, limits, levels, rules, keys and the replay set through it.
 * - `shared_state`: a Redis or Valkey server shared by several machines (`redis://`, `rediss://` for TLS),
 *   or a Sentinel group or a Cluster. Absent: nothing leaves this machine.
 * - `kernel_drop`: mirror banned and deny-listed prefixes into an nftables set so the kernel drops their
 *   packets. `off` by default: a proxy that installs firewall rules because it happens to run as root
 *   would surprise its operator; `auto` uses nftables when Bulwark has CAP_NET_ADMIN and says once when
 *   it has not; `on` refuses to start without it.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { duration } from './schema-units.ts';

/** Most worker processes accepted (a typo like 1000 must not fork a thousand processes). */
export const MAX_WORKERS = 64;

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'expected host:port' })
  .describe('a Redis node or Sentinel, host:port');

const redisUrl = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '' && (u.pathname === '' || /^\/\d{0,2}$/.test(u.pathname));
    } catch {
      return false;
    }
  },
  { message: 'expected redis://[user:password@]host:port[/db] or rediss:// for TLS' },
);

const sharedStateObject = z.strictObject({
  url: redisUrl.describe('redis://[user:password@]host:port[/db]; rediss:// for TLS. With sentinels or cluster, only user, password, db and the scheme are read'),
  namespace: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, { message: 'namespace: 1-40 letters, digits, _ . -' })
    .default('bulwark')
    .describe('prefix of every key (keys are bulwark:{namespace}:…, one hash slot in a Cluster); several Bulwark deployments can share one server with different namespaces'),
  node_name: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'node_name: 1-64 letters, digits, _ . : -' })
    .optional()
    .describe("this machine's name in /stats and leader leases; default host name and process id"),
  password_file: z.string().min(1).optional().describe('file holding the password (instead of writing it in the URL)'),
  sentinels: z.array(hostPort).min(1).optional().describe('Redis Sentinel addresses: the master is asked of them (failover is followed)'),
  sentinel_master: z.string().min(1).default('mymaster').describe('the master name the sentinels monitor'),
  cluster: z.array(hostPort).min(1).optional().describe('Redis Cluster seed nodes (all of Bulwark\'s keys live in one hash slot)'),
  tls: z
    .strictObject({
      ca: z.string().min(1).optional().describe('PEM file of the CA that signed the server certificate (default: the system CAs)'),
      cert: z.string().min(1).optional().describe('client certificate (PEM), for servers that ask for one'),
      key: z.string().min(1).optional().describe('client key (PEM)'),
      servername: z.string().min(1).optional().describe('name checked in the server certificate (default: the host of the URL)'),
    })
    .optional()
    .describe('TLS settings (rediss:// turns TLS on)'),
  connect_timeout: duration('how long a connection attempt may take', { min: '100ms', max: '1m' }).default(2_000),
  command_timeout: duration('a command unanswered for this long fails (nothing on the request path waits for one)', { min: '10ms', max: '1m' }).default(1_000),
  limits_interval: duration('how often rate-limit counts are exchanged between machines (see the overshoot bound in docs/scaling.md)', { min: '10ms', max: '10s' }).default(250),
  exact_timeout: duration('the longest a request waits for the server on a limit marked exact (then the local count decides)', { min: '1ms', max: '1s' }).default(100),
  lease: duration("how long a site's leader holds its lease without renewing it; another node takes over after it", { min: '300ms', max: '1m' }).default(3_000),
  max_bans_pending: z.number().int().positive().max(1_000_000).default(10_000).describe('bans made while the server is unreachable, kept to write when it returns'),
});

/** `shared_state` after parsing (the URL form expanded). */
export type SharedStateConfig = z.output<typeof sharedStateObject>;

export const sharedStateSchema = z
  .union([redisUrl.transform((url) => sharedStateObject.parse({ url })), sharedStateObject])
  .superRefine((s, ctx) => {
    if (s.sentinels !== undefined && s.cluster !== undefined) ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'use either sentinels or cluster, not both' });
    if (s.tls !== undefined && new URL(s.url).protocol !== 'rediss:') ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls settings need a rediss:// URL' });
    if ((s.tls?.cert === undefined) !== (s.tls?.key === undefined)) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'give tls.cert and tls.key together' });
  })
  .describe('Redis/Valkey shared by several Bulwark machines: redis://host:port, or an object with url, sentinels or cluster, tls…');

/** `workers`: `auto` (one per core) or a count; parsed to a number ≥ 1. */
export const workersSchema = z
  .union([z.literal('auto'), z.number().int().min(1).max(MAX_WORKERS)])
  .default(1)
  .transform((w) => (w === 'auto' ? Math.min(MAX_WORKERS, Math.max(1, availableParallelism())) : w))
  .describe('processes serving requests on this machine: 1 (default, one process), auto (one per core) or a number');

/** `worker_accept`: how connections reach the workers (see docs/scaling.md for the measurements). */
export const workerAcceptSchema = z
  .enum(['primary', 'shared'])
  .default('shared')
  .describe('shared (default): every worker accepts on the shared listening socket and drops banned sources itself; primary: the primary accepts, drops banned sources and hands the rest to the workers in turn (even balance, but about four times the CPU per new connection: see docs/scaling.md)');

/** `kernel_drop`. */
export const kernelDropSchema = z
  .union([
    z.enum(['off', 'auto', 'on']).transform((mode) => ({ mode, table: 'bulwark' })),
    z.strictObject({
      mode: z.enum(['off', 'auto', 'on']).default('auto'),
      table: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,30}$/, { message: 'table: a letter, then letters, digits or _' }).default('bulwark').describe('name of the nftables table (family inet) Bulwark owns'),
    }),
  ])
  .prefault('off')
  .describe('mirror bans and deny lists into nftables so the kernel drops them: off (default), auto (when CAP_NET_ADMIN is there), on (refuse to start without it)');

export type KernelDropConfig = z.output<typeof kernelDropSchema>;
