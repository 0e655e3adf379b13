/**
 * The record of a request refused before node:http made it a request (its parser's errors, CONNECT):
 * there is no context, so the record names what the socket knows — the peer and its prefix — and the
 * refusal code. It is fed to the same accounting as every other answer (pipeline/record/answer-accounting.ts),
 * so a client that only ever sends heads the parser rejects is still escalated to a ban.
 */
import type { Socket } from 'node:net';
import { resolveClientAddress } from '../core/identify/client-address.ts';
import { parseIp, prefixKeyOf } from '../core/net/ip.ts';
import { PRIORITY_UNKNOWN } from '../core/vocabulary.ts';
import { takeSocketBytes } from '../pipeline/context.ts';
import { accountAnswer } from '../pipeline/record/answer-accounting.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import { UNROUTED_SITE } from '../telemetry/request-record.ts';
import { connectionRefusalRecord } from './connection-record.ts';

/** Records one refusal of an unparsed request on `socket` (answered with `status`, code `code`) and accounts for it. */
export function recordUnparsedRefusal(runtime: Runtime, recorder: Recorder, socket: Socket, id: string, status: number, code: string, method: string): void {
  const client = resolveClientAddress(socket.remoteAddress ?? '', undefined, runtime.isTrustedProxy);
  const ip = parseIp(client.address);
  const idc = runtime.config.identify;
  const prefix = ip === null ? '' : prefixKeyOf(ip, ip.family === 6 ? idc.prefix_v6 : idc.prefix_v4);
  // What earlier requests on a keep-alive connection already recorded is not counted again.
  const bytes = takeSocketBytes(socket);
  const record = connectionRefusalRecord({
    timeMs: Date.now(),
    site: UNROUTED_SITE,
    host: '',
    requestId: id,
    clientAddress: client.address,
    prefix,
    httpVersion: '1.1',
    decisionBy: `parse/${code}`,
    errorCode: code,
    bytesIn: bytes.bytesIn,
    bytesOut: bytes.bytesOut,
    durationMs: 0,
    level: 'normal',
    outcome: 'rejected',
    status,
    method,
  });
  accountAnswer(runtime, record, PRIORITY_UNKNOWN);
  recorder.record(record);
}
