/**
 * Hand-written, allocation-free IP address parsing for the hot path.
 *
 * Everything here writes into a caller-supplied `Uint32Array` (at least 4 words) instead of building
 * objects, so identify/accept can parse `socket.remoteAddress` on every request without garbage.
 * IPv4 is one uint32 in word 0; IPv6 is four uint32 words, most significant first (network order).
 *
 * Accepted syntax (deliberately strict, see the tests for the full table):
 * - IPv4: four-part dotted decimal only (RFC 6943 §3.1.1 "strict" form). No leading zeros
 *   (`010.0.0.1` is octal to some parsers and decimal to others), no hex, no shortened forms.
 * - IPv6: RFC 4291 §2.2 text forms, case-insensitive, with at most one `::`, an optional embedded
 *   dotted IPv4 in the last 32 bits, an optional zone id (`%eth0`, RFC 4007 §11, dropped) and optional
 *   surrounding brackets (`[::1]`, RFC 3986 host syntax; a port after the bracket is not accepted).
 */

/** Parse result family: 0 = not an IP address, 4 = IPv4, 6 = IPv6. */
export type ParsedFamily = 0 | 4 | 6;

/** Scratch groups for IPv6 parsing (module-level so parsing allocates nothing; single-threaded JS). */
const groups = new Int32Array(8);

/**
 * Parse strict dotted-decimal IPv4 in `s[start, end)` and return it as a uint32, or -1 when invalid.
 * Rejects leading zeros, empty parts, values above 255 and anything but digits and three dots.
 */
export function parseV4Range(s: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      dots++;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/**
 * Parse IPv6 text in `s[start, end)` (no brackets, no zone) into `out[0..3]`.
 * Returns false when the text is not a valid RFC 4291 address.
 *
 * One pass, each character read once: a group's hex digits are folded as they come (a run of more than
 * four fails; a `.` after the run makes it the start of an embedded dotted IPv4).
 */
export function parseV6Range(s: string, start: number, end: number, out: Uint32Array): boolean {
  let n = 0; // groups written
  let gap = -1; // index in `groups` where `::` stands
  let i = start;
  if (i + 1 < end && s.charCodeAt(i) === 58 && s.charCodeAt(i + 1) === 58) {
    gap = 0;
    i += 2;
  }
  while (i < end) {
    const first = i;
    let hex = 0;
    let c = s.charCodeAt(i);
    for (;;) {
      if (c >= 48 && c <= 57) hex = (hex << 4) | (c - 48);
      else if ((c | 0x20) >= 97 && (c | 0x20) <= 102) hex = (hex << 4) | ((c | 0x20) - 87);
      else break;
      if (++i === end || i - first > 4) break;
      c = s.charCodeAt(i);
    }
    if (i < end && c === 46 && i - first <= 4) {
      // Embedded dotted IPv4: must be the last 32 bits.
      if (n > 6) return false;
      const v4 = parseV4Range(s, first, end);
      if (v4 < 0) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    const digits = i - first;
    if (digits === 0 || digits > 4 || n === 8) return false;
    groups[n++] = hex;
    if (i === end) break;
    if (c !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false; // a second `::`
      gap = n;
      i++;
    } else if (i === end) {
      return false; // trailing single colon
    }
  }
  if (gap < 0) {
    if (n !== 8) return false;
  } else {
    if (n > 7) return false; // `::` stands for at least one zero group
    const tail = n - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k];
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  out[0] = groups[0] * 65536 + groups[1];
  out[1] = groups[2] * 65536 + groups[3];
  out[2] = groups[4] * 65536 + groups[5];
  out[3] = groups[6] * 65536 + groups[7];
  return true;
}

/** True when `w` (4 words) is an IPv4-mapped IPv6 address, `::ffff:0:0/96` (RFC 4291 §2.5.5.2). */
export function isMappedWords(w: Uint32Array): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
}

/**
 * Parse an IP address into `out` without allocating.
 *
 * Returns 4 (IPv4 in `out[0]`), 6 (IPv6 in `out[0..3]`) or 0 (not an address). When `unmap` is true
 * (the default), an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as a dual-stack listener reports IPv4
 * clients) is returned as the IPv4 address it carries, so one client has one identity.
 */
export function parseIpInto(text: string, out: Uint32Array, unmap = true): ParsedFamily {
  let start = 0;
  let end = text.length;
  if (end === 0) return 0;
  if (text.charCodeAt(0) === 91) {
    // [addr] — brackets only around IPv6.
    if (text.charCodeAt(end - 1) !== 93) return 0;
    start = 1;
    end--;
  } else if (unmap && end >= 14 && end <= 22 && text.startsWith('::ffff:')) {
    // What a dual-stack (`::`) listener reports for every IPv4 client: skip straight to the IPv4 part.
    const v4 = parseV4Range(text, 7, end);
    if (v4 >= 0) {
      out[0] = v4;
      return 4;
    }
  } else if (end <= 15) {
    // Try IPv4 first (the common case); it fails within 5 characters on IPv6 text.
    const v4 = parseV4Range(text, 0, end);
    if (v4 >= 0) {
      out[0] = v4;
      return 4;
    }
  }
  const zone = text.indexOf('%', start);
  if (zone >= 0 && zone < end) {
    if (zone === end - 1) return 0; // empty zone id
    // Zone ids are interface names or numbers (RFC 4007 §11): letters, digits, `.`, `_`, `-`.
    for (let i = zone + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 45;
      if (!ok) return 0;
    }
    end = zone;
  }
  if (!parseV6Range(text, start, end, out)) return 0;
  if (unmap && isMappedWords(out)) {
    out[0] = out[3];
    return 4;
  }
  return 6;
}
