/**
 * The `http2:` block: HTTP/2 on the https listeners (ALPN `h2` beside `http/1.1`, RFC 9113) and the
 * limits that answer HTTP/2's own attack classes. Each limit is counted per connection; a connection
 * over one gets GOAWAY (RFC 9113 §6.8) with the code that says why, its client's record names the
 * limit (`h2/<reason>`), and the refusal counts toward the client's escalation like any other.
 *
 * The defaults are far above what a browser's page load does (a page with 50 assets over one
 * connection stays an order of magnitude under each) and far below what the floods need.
 */
import { z } from 'zod';
import { duration, size } from './schema-units.ts';

/**
 * A per-connection frame budget: `burst` frames at once, refilled at `rate` per second (a token
 * bucket). A connection that sends more gets GOAWAY ENHANCE_YOUR_CALM.
 */
const frameBudget = (what: string, rate: number, burst: number) =>
  z
    .strictObject({
      rate: z.number().positive().max(1_000_000).default(rate).describe(`${what} per second, sustained`),
      burst: z.number().int().min(1).max(1_000_000).default(burst).describe(`${what} at once, from a full bucket`),
    })
    .prefault({})
    .describe(`${what}: a token bucket per connection (default ${rate}/s, burst ${burst})`);

/** A frame budget with a cap over the connection's whole life as well. */
const lifetimeBudget = (what: string, rate: number, burst: number, lifetime: number) =>
  z
    .strictObject({
      rate: z.number().positive().max(1_000_000).default(rate).describe(`${what} per second, sustained`),
      burst: z.number().int().min(1).max(1_000_000).default(burst).describe(`${what} at once, from a full bucket`),
      per_connection: z.number().int().min(1).max(10_000_000).default(lifetime).describe(`${what} over the connection's whole life`),
    })
    .prefault({})
    .describe(`${what}: per second (default ${rate}/s, burst ${burst}) and per connection (default ${lifetime})`);

export const http2Schema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('offer HTTP/2 (ALPN h2) on the https listeners; clients without it keep HTTP/1.1 on the same port'),
    max_concurrent_streams: z
      .number().int().min(1).max(1000).default(100)
      .describe('SETTINGS_MAX_CONCURRENT_STREAMS: requests open at once on one connection; a client that opens more after acknowledging it gets GOAWAY PROTOCOL_ERROR'),
    max_header_list_size: size(
      'SETTINGS_MAX_HEADER_LIST_SIZE: largest decoded header list of a request (names + values + 32 bytes a field, RFC 9113 §6.5.2); a header block larger than twice this closes the connection',
      { min: '1kb', max: '1mb' },
    ).default(32 * 1024),
    max_header_fields: z.number().int().min(8).max(1000).default(128).describe('header fields in one request, pseudo-header fields included'),
    hpack_table_size: size('SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table a client may fill in Bulwark (RFC 7541 §4.2), and the one Bulwark uses toward it', {
      min: 0,
      max: '64kb',
    }).default(4096),
    max_continuation_frames: z
      .number().int().min(0).max(8).default(4)
      .describe('CONTINUATION frames after one HEADERS frame (CVE-2024-27316); at most 8, the limit of the HTTP/2 library underneath'),
    max_streams_in_progress: z
      .number().int().min(1).max(1000).default(8)
      .describe('streams of one connection that run the pipeline at once (a cache hit for microseconds, a forwarded request until answered); the others wait on the connection in arrival order, as a browser\'s requests wait for its HTTP/1.1 connections, so one page load does not outrun the per-client origin slots (shield.admission.max_per_client)'),
    max_requests_per_connection: z
      .number().int().min(1).max(10_000_000).default(1000)
      .describe('streams one connection may open; then a graceful GOAWAY (NO_ERROR) and the client opens a new one'),
    client_resets: lifetimeBudget('RST_STREAM frames from the client (Rapid Reset, CVE-2023-44487)', 50, 100, 500),
    provoked_resets: lifetimeBudget('streams the server had to reset because of what the client sent (MadeYouReset, CVE-2025-8671)', 10, 20, 100),
    refused_streams: frameBudget('streams refused for exceeding max_concurrent_streams before the client acknowledged it', 10, 100),
    settings_frames: frameBudget('SETTINGS frames (CVE-2019-9515)', 5, 20),
    ping_frames: frameBudget('PING frames (CVE-2019-9512)', 5, 20),
    priority_frames: frameBudget('PRIORITY frames (CVE-2019-9513)', 100, 300),
    window_update_frames: frameBudget('WINDOW_UPDATE frames, plus one for every KiB Bulwark sent', 100, 500),
    empty_frames: frameBudget('DATA, HEADERS and CONTINUATION frames with an empty payload and no end flag (CVE-2019-9518)', 5, 20),
    idle_timeout: duration('a connection with no open stream for this long gets a graceful GOAWAY', { min: '1s', max: '1h' }).default(30_000),
    stream_idle_timeout: duration('a stream whose request body sends nothing for this long is reset (slow POST over HTTP/2)', { min: '1s', max: '10m' }).default(10_000),
  })
  .describe('HTTP/2 on the https listeners and its per-connection flood limits (RFC 9113).');

/** The validated `http2:` block. */
export type Http2Config = z.output<typeof http2Schema>;
/** One token-bucket budget of the `http2:` block. */
export type FrameBudgetConfig = Http2Config['settings_frames'];
/** A budget with a per-connection cap. */
export type LifetimeBudgetConfig = Http2Config['client_resets'];
