/**
 * An incremental reader of HTTP/2 frame headers (RFC 9113 §4.1) in a byte stream that arrives in
 * arbitrary pieces: it finds where each frame starts and what kind it is, without decoding payloads.
 *
 * Bulwark reads both directions of every HTTP/2 connection this way (edge/http2/frame-tap.ts) to count
 * what the HTTP/2 library underneath does not let it see — RST_STREAM, SETTINGS, PING, PRIORITY,
 * WINDOW_UPDATE, CONTINUATION and empty frames — and to stop a connection at the frame that broke a
 * limit, before the library processes it. The cost is one pass over 9 bytes per frame; payload bytes
 * are skipped by length. The few payload bytes a limit needs are read as well: the error code of
 * RST_STREAM and GOAWAY, and the pad length of padded DATA and HEADERS frames (for empty frames).
 *
 * Pure: no I/O, no clock.
 */

/** Frame types (RFC 9113 §6). */
export const FRAME = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags (RFC 9113 §6). */
export const FLAG = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** The client connection preface (RFC 9113 §3.4), which precedes the client's first frame. */
export const CLIENT_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const PREFACE_LENGTH = 24;
const HEADER_LENGTH = 9;

/**
 * One frame, as far as the scanner reads it. `code` is the error code of RST_STREAM and GOAWAY; `padding`
 * the pad length of a padded DATA or HEADERS frame (0 otherwise).
 */
export interface FrameVisitor {
  /** Called once a frame's header (and the payload bytes it needs) arrived; false stops the scan there. */
  frame(type: number, flags: number, streamId: number, length: number, code: number, padding: number): boolean;
}

/** How many payload bytes a frame's check needs before it is reported. */
function wantedPayload(type: number, flags: number): number {
  if (type === FRAME.RST_STREAM) return 4;
  if (type === FRAME.GOAWAY) return 8;
  if ((type === FRAME.DATA || type === FRAME.HEADERS) && (flags & FLAG.PADDED) !== 0) return 1;
  return 0;
}

/**
 * A scanner for one direction of one connection. `preface`: the stream starts with the client preface
 * (the client-to-server direction). Frames with a payload shorter than the bytes a check wants are
 * reported with what there is (the library underneath refuses such frames itself).
 */
export class FrameScanner {
  /** Bytes of the preface still to skip. */
  private prefaceLeft: number;
  /** The frame header (and wanted payload prefix) collected so far. */
  private readonly head = new Uint8Array(HEADER_LENGTH + 8);
  private headFill = 0;
  /** Payload bytes of the current frame still to skip once it has been reported. */
  private skip = 0;
  /** Frames reported since creation. */
  frames = 0;

  constructor(preface: boolean) {
    this.prefaceLeft = preface ? PREFACE_LENGTH : 0;
  }

  /**
   * Reads `chunk`, reporting each frame whose header completes in it. Returns `chunk.length` when the
   * visitor accepted every frame, else the offset in `chunk` where the refused frame starts (0 when it
   * started in an earlier chunk): the bytes before it may go on, the rest must not.
   */
  feed(chunk: Uint8Array, visitor: FrameVisitor): number {
    const n = chunk.length;
    let i = 0;
    if (this.prefaceLeft > 0) {
      const take = Math.min(this.prefaceLeft, n);
      this.prefaceLeft -= take;
      i = take;
    }
    while (i < n) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - i);
        this.skip -= take;
        i += take;
        continue;
      }
      const frameStart = i - this.headFill;
      const head = this.head;
      // Collect the 9-byte header.
      while (this.headFill < HEADER_LENGTH && i < n) head[this.headFill++] = chunk[i++]!;
      if (this.headFill < HEADER_LENGTH) return n;
      const length = (head[0]! << 16) | (head[1]! << 8) | head[2]!;
      const type = head[3]!;
      const flags = head[4]!;
      const full = wantedPayload(type, flags);
      const want = Math.min(full, length);
      // Collect the payload prefix the checks need.
      while (this.headFill < HEADER_LENGTH + want && i < n) head[this.headFill++] = chunk[i++]!;
      if (this.headFill < HEADER_LENGTH + want) return n;
      const streamId = ((head[5]! & 0x7f) * 0x1000000) + ((head[6]! << 16) | (head[7]! << 8) | head[8]!);
      let code = 0;
      let padding = 0;
      if (want === full && full > 0) {
        if (full === 1) padding = head[9]!;
        else {
          const at = full === 8 ? 13 : 9; // GOAWAY: after the last stream ID
          code = (head[at]! * 0x1000000) + ((head[at + 1]! << 16) | (head[at + 2]! << 8) | head[at + 3]!);
        }
      }
      this.headFill = 0;
      this.skip = length - want;
      this.frames++;
      if (!visitor.frame(type, flags, streamId, length, code, padding)) return Math.max(0, frameStart);
    }
    return n;
  }
}

/** The HTTP/2 error codes (RFC 9113 §7) by name, for GOAWAY and records. */
export const H2_ERROR = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const ERROR_NAMES: readonly string[] = Object.keys(H2_ERROR).map((k) => k.toLowerCase());

/** The lower-case name of an HTTP/2 error code (`enhance_your_calm`), or `code_<n>` for unknown ones. */
export function h2ErrorName(code: number): string {
  return ERROR_NAMES[code] ?? `code_${code}`;
}
