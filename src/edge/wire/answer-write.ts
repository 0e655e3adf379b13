/**
 * Writing an answer outside node:http, on a connection node:http serves (the wire's copies, lane answers
 * at the parsed head): the tail node:http would end the head with, and the write itself with the
 * connection's byte marks moved past it, so the records of a connection keep adding up to its traffic
 * whichever path answered.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionMemo } from '../../pipeline/connection-memo.ts';
import { keepAliveTail, utcDateLine } from '../../pipeline/pages/prepared-head.ts';

/** node:http's own tail for an answer of `server`: Date (unless `hasDate`), keep-alive lines, the blank line. */
export function answerTail(server: Server, hasDate: boolean): string {
  return (hasDate ? '' : utcDateLine()) + keepAliveTail(server.keepAliveTimeout, 0, server.keepAliveTimeout > 0) + '\r\n';
}

/**
 * Writes one answer written outside node:http (a latin1 head and an optional latin1 string or Buffer
 * body) to the connection and moves its byte marks past it; returns the bytes written.
 */
export function writeAnswer(socket: Socket, memo: ConnectionMemo, head: string, body?: Buffer | string): number {
  let bytes = head.length;
  if (body === undefined) socket.write(head, 'latin1');
  else if (typeof body === 'string') {
    socket.write(head + body, 'latin1');
    bytes += body.length;
  } else {
    // Two writes, one system call: corked, they leave as one writev.
    socket.cork();
    socket.write(head, 'latin1');
    socket.write(body);
    socket.uncork();
    bytes += body.length;
  }
  // The connection's byte marks move past this answer (pipeline/context.ts, takeSocketBytes).
  memo.bytesWritten += bytes;
  return bytes;
}
