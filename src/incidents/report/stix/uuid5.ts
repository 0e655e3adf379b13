/**
 * Name-based UUIDs, version 5 (SHA-1), as RFC 9562 section 5.5 (formerly RFC 4122 section 4.3) defines
 * them: SHA-1 over the namespace UUID's 16 bytes followed by the name's UTF-8 bytes, the first 16 bytes
 * of the digest with the version nibble set to 5 and the variant bits to 10.
 */
import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The UUIDv5 of `name` in `namespace` (a UUID string), lower case. */
export function uuid5(namespace: string, name: string): string {
  if (!UUID.test(namespace)) throw new TypeError(`not a UUID: ${namespace}`);
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
