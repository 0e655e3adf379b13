import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createKeyRing } from './key-ring.ts';
import { createSiteTag } from './binding.ts';
import {
  mintChallengeToken, verifyChallengeToken, mintClearance, verifyClearance,
  CHALLENGE_TOKEN_LENGTH, CLEARANCE_LENGTH, MAX_CLOCK_SKEW_MS,
  type ChallengeClient, type ChallengeTokenInput, type ClearanceInput,
} from './tokens.ts';
import { ALICE, MALLORY, T0, testRandom, testRing, testSecret } from './test-support.ts';

const site = createSiteTag('news');
const other = createSiteTag('shop');
const ring = testRing();
const random = testRandom();

const challengeInput: ChallengeTokenInput = { site, client: ALICE, level: 'elevated', work: { count: 16, bits: 12 }, lifetimeS: 300, noJsWaitS: 10 };
const clearanceInput: ClearanceInput = { site, client: ALICE, binding: 'prefix', level: 'normal', proof: { via: 'pow', work: { count: 20, bits: 13 } }, lifetimeS: 3600 };
const nojsInput: ClearanceInput = { ...clearanceInput, level: 'under_attack', proof: { via: 'nojs', waitS: 20 }, lifetimeS: 600 };
/** ALICE on IPv6 and in another IPv4 /24 of the same network (AS64500), and a stranger in AS64511. */
const ALICE_AS: ChallengeClient = { ...ALICE, asn: 64500, acceptLanguage: 'en-GB,en;q=0.9' };
const ALICE_V6: ChallengeClient = { ...ALICE_AS, address: '2001:db8:7:1::5', prefix: '2001:db8:7:1::/64' };
const ALICE_POOL: ChallengeClient = { ...ALICE_AS, address: '192.0.2.77', prefix: '192.0.2.0/24' };

test('a challenge token round-trips its claims', () => {
  const { token, claims } = mintChallengeToken(challengeInput, ring, T0, random);
  assert.equal(token.length, CHALLENGE_TOKEN_LENGTH);
  assert.match(token, /^[A-Za-z0-9_-]+$/);
  const r = verifyChallengeToken(token, ring, site, ALICE, T0 + 1000);
  assert.deepEqual(r, { ok: true, claims });
  assert.equal(claims.issuedAtMs, T0);
  assert.equal(claims.expiresAtMs, T0 + 300_000);
  assert.deepEqual(claims.work, { count: 16, bits: 12 });
  assert.equal(claims.level, 'elevated');
  assert.equal(claims.noJsWaitS, 10);
  assert.match(claims.nonce, /^[A-Za-z0-9_-]{16}$/);
  assert.equal(claims.keyId, ring.current.id);
});

test('a challenge token carries its issuer\'s tag under the signature, and its nonce is the token\'s own characters', () => {
  const { token, claims } = mintChallengeToken({ ...challengeInput, tag: 0xabcdef }, ring, T0, random);
  assert.equal(token.length, CHALLENGE_TOKEN_LENGTH);
  const r = verifyChallengeToken(token, ring, site, ALICE, T0);
  assert.ok(r.ok);
  assert.equal(r.claims.tag, 0xabcdef);
  assert.equal(r.claims.nonce, claims.nonce, 'the nonce read back equals the one handed out at issue');
  assert.equal(mintChallengeToken(challengeInput, ring, T0, random).claims.tag, 0);
  assert.throws(() => mintChallengeToken({ ...challengeInput, tag: 1 << 24 }, ring, T0, random), RangeError);
});

test('each challenge token gets a fresh nonce', () => {
  const a = mintChallengeToken(challengeInput, ring, T0, random);
  const b = mintChallengeToken(challengeInput, ring, T0, random);
  assert.notEqual(a.claims.nonce, b.claims.nonce);
  assert.notEqual(a.token, b.token);
});

test('challenge token failures, table-driven', () => {
  const { token } = mintChallengeToken(challengeInput, ring, T0, random);
  const cases: Array<[string, () => ReturnType<typeof verifyChallengeToken>, string]> = [
    ['expires exactly at the end of its lifetime', () => verifyChallengeToken(token, ring, site, ALICE, T0 + 300_000), 'expired'],
    ['valid one ms before', () => verifyChallengeToken(token, ring, site, ALICE, T0 + 299_999), 'ok'],
    ['issued too far in the future (clock skew)', () => verifyChallengeToken(token, ring, site, ALICE, T0 - MAX_CLOCK_SKEW_MS - 1), 'not_yet_valid'],
    ['small skew is tolerated', () => verifyChallengeToken(token, ring, site, ALICE, T0 - MAX_CLOCK_SKEW_MS), 'ok'],
    ['another site', () => verifyChallengeToken(token, ring, other, ALICE, T0), 'wrong_site'],
    ['another prefix', () => verifyChallengeToken(token, ring, site, MALLORY, T0), 'wrong_prefix'],
    ['same prefix, other address', () => verifyChallengeToken(token, ring, site, { ...ALICE, address: '203.0.113.99' }, T0), 'ok'],
    ['another user agent', () => verifyChallengeToken(token, ring, site, { ...ALICE, userAgent: 'curl/8.0' }, T0), 'wrong_ua'],
    ['another key', () => verifyChallengeToken(token, testRing('k2'), site, ALICE, T0), 'unknown_key'],
    ['empty string', () => verifyChallengeToken('', ring, site, ALICE, T0), 'malformed'],
    ['truncated', () => verifyChallengeToken(token.slice(1), ring, site, ALICE, T0), 'malformed'],
    ['padded', () => verifyChallengeToken(`${token}=`, ring, site, ALICE, T0), 'malformed'],
    ['standard base64 alphabet', () => verifyChallengeToken(token.replace(/-/g, '+').replace(/_/g, '/').replace(/^./, '+'), ring, site, ALICE, T0), 'malformed'],
    ['a clearance is not a challenge token', () => verifyChallengeToken(mintClearance(clearanceInput, ring, T0).value, ring, site, ALICE, T0), 'malformed'],
    ['not a string', () => verifyChallengeToken(undefined as unknown as string, ring, site, ALICE, T0), 'malformed'],
  ];
  for (const [name, run, expected] of cases) {
    const r = run();
    assert.equal(r.ok ? 'ok' : r.reason, expected, name);
  }
});

test('rotation: the previous key verifies during its grace period only, and never signs', () => {
  const old = createKeyRing({ current: testSecret('old') });
  const { token } = mintChallengeToken(challengeInput, old, T0, random);
  const cookie = mintClearance(clearanceInput, old, T0).value;
  const rotated = createKeyRing({ current: testSecret('new'), previous: { secret: testSecret('old'), acceptUntilMs: T0 + 60_000 } });
  assert.equal(verifyChallengeToken(token, rotated, site, ALICE, T0 + 59_999).ok, true);
  assert.equal(verifyClearance(cookie, rotated, site, 'prefix', ALICE, T0 + 59_999).ok, true);
  const late = verifyClearance(cookie, rotated, site, 'prefix', ALICE, T0 + 60_000);
  assert.deepEqual(late, { ok: false, reason: 'unknown_key' });
  assert.equal(mintChallengeToken(challengeInput, rotated, T0, random).claims.keyId, rotated.current.id);
  assert.notEqual(rotated.current.id, old.current.id);
});

test('a challenge token never verifies as a clearance, even at equal length under the same key', () => {
  const { token } = mintChallengeToken(challengeInput, ring, T0, random);
  assert.deepEqual(verifyClearance(token, ring, site, 'prefix', ALICE, T0), { ok: false, reason: 'malformed' });
});

test('a clearance round-trips its claims and what it proves', () => {
  const pow = mintClearance(clearanceInput, ring, T0);
  assert.equal(pow.value.length, CLEARANCE_LENGTH);
  assert.deepEqual(verifyClearance(pow.value, ring, site, 'prefix', ALICE, T0 + 1), { ok: true, claims: pow.claims });
  assert.deepEqual(pow.claims.proof, { via: 'pow', work: { count: 20, bits: 13 } });
  assert.equal(pow.claims.binding, 'prefix');
  assert.equal(pow.claims.expiresAtMs, T0 + 3_600_000);
  const nojs = mintClearance(nojsInput, ring, T0);
  assert.deepEqual(verifyClearance(nojs.value, ring, site, 'prefix', ALICE, T0 + 1), { ok: true, claims: nojs.claims });
  assert.equal(nojs.claims.via, 'nojs');
  assert.deepEqual(nojs.claims.proof, { via: 'nojs', waitS: 20 });
  assert.equal(nojs.claims.binding, 'nojs_client', 'a no-JS clearance is bound to the exact address and user agent');
  assert.equal(nojs.claims.level, 'under_attack');
  assert.equal(nojs.claims.expiresAtMs, T0 + 600_000);
});

test('a clearance of the previous layout (no proof in it) is refused as malformed', () => {
  const bytes = Buffer.from(mintClearance(clearanceInput, ring, T0).value, 'base64url');
  bytes[0] = 0xd1;
  assert.deepEqual(verifyClearance(bytes.toString('base64url'), ring, site, 'prefix', ALICE, T0), { ok: false, reason: 'malformed' });
});

test('clearance failures, table-driven', () => {
  const byPrefix = mintClearance(clearanceInput, ring, T0).value;
  const byAddress = mintClearance({ ...clearanceInput, binding: 'address' }, ring, T0).value;
  const sameNet = { ...ALICE, address: '203.0.113.200' };
  const byNetwork = mintClearance({ ...clearanceInput, client: ALICE_AS, binding: 'network' }, ring, T0).value;
  const nojs = mintClearance({ ...nojsInput, binding: 'network' }, ring, T0).value;
  const cases: Array<[string, ReturnType<typeof verifyClearance>, string]> = [
    ['prefix binding: other address in the same prefix', verifyClearance(byPrefix, ring, site, 'prefix', sameNet, T0), 'ok'],
    ['prefix binding: the same visitor on IPv6', verifyClearance(byPrefix, ring, site, 'prefix', ALICE_V6, T0), 'wrong_prefix'],
    ['network binding: the same visitor on IPv6 (dual stack)', verifyClearance(byNetwork, ring, site, 'network', ALICE_V6, T0), 'ok'],
    ['network binding: another /24 of the carrier pool', verifyClearance(byNetwork, ring, site, 'network', ALICE_POOL, T0), 'ok'],
    ['network binding: another network', verifyClearance(byNetwork, ring, site, 'network', { ...ALICE_V6, asn: 64511 }, T0), 'wrong_network'],
    ['network binding: network unknown (no ASN data): the prefix stands in', verifyClearance(byNetwork, ring, site, 'network', { ...ALICE_AS, asn: null }, T0), 'wrong_network'],
    ['network binding: another user agent', verifyClearance(byNetwork, ring, site, 'network', { ...ALICE_V6, userAgent: 'curl/8.0' }, T0), 'wrong_ua'],
    ['network binding: another Accept-Language', verifyClearance(byNetwork, ring, site, 'network', { ...ALICE_V6, acceptLanguage: 'de' }, T0), 'wrong_ua'],
    ['no-JS: same address and user agent, on a network-bound site', verifyClearance(nojs, ring, site, 'network', ALICE, T0), 'ok'],
    ['no-JS: other address in the same prefix', verifyClearance(nojs, ring, site, 'network', sameNet, T0), 'wrong_address'],
    ['no-JS: same address, other user agent', verifyClearance(nojs, ring, site, 'prefix', { ...ALICE, userAgent: 'curl/8.0' }, T0), 'wrong_ua'],
    ['network-bound cookie on a site now bound by prefix', verifyClearance(byNetwork, ring, site, 'prefix', ALICE_AS, T0), 'wrong_binding_mode'],
    ['prefix binding: carried to another prefix', verifyClearance(byPrefix, ring, site, 'prefix', MALLORY, T0), 'wrong_prefix'],
    ['address binding: other address', verifyClearance(byAddress, ring, site, 'address', sameNet, T0), 'wrong_address'],
    ['address binding: same address', verifyClearance(byAddress, ring, site, 'address', ALICE, T0), 'ok'],
    ['binding mode changed by config', verifyClearance(byPrefix, ring, site, 'address', ALICE, T0), 'wrong_binding_mode'],
    ['another site', verifyClearance(byPrefix, ring, other, 'prefix', ALICE, T0), 'wrong_site'],
    ['expired', verifyClearance(byPrefix, ring, site, 'prefix', ALICE, T0 + 3_600_000), 'expired'],
    ['forged with another key', verifyClearance(mintClearance(clearanceInput, testRing('evil'), T0).value, ring, site, 'prefix', ALICE, T0), 'unknown_key'],
    ['garbage', verifyClearance('x'.repeat(CLEARANCE_LENGTH), ring, site, 'prefix', ALICE, T0), 'malformed'],
  ];
  for (const [name, r, expected] of cases) assert.equal(r.ok ? 'ok' : r.reason, expected, name);
});

test('a forged tag under the right key id is a bad signature', () => {
  const value = mintClearance(clearanceInput, ring, T0).value;
  const bytes = Buffer.from(value, 'base64url');
  bytes[bytes.length - 1] ^= 1;
  assert.deepEqual(verifyClearance(bytes.toString('base64url'), ring, site, 'prefix', ALICE, T0), { ok: false, reason: 'bad_signature' });
});

/** Flips bit `bit` (0..5 of the base64url digit, or 0..7 of the character code) at character `index`. */
function flipChar(text: string, index: number, bit: number): string {
  const code = text.charCodeAt(index) ^ (1 << bit);
  return text.slice(0, index) + String.fromCharCode(code) + text.slice(index + 1);
}

test('property: any single-bit change to a clearance cookie (as text or as bytes) is rejected', () => {
  const value = mintClearance(clearanceInput, ring, T0).value;
  fc.assert(
    fc.property(fc.nat(CLEARANCE_LENGTH - 1), fc.nat(7), (i, bit) => !verifyClearance(flipChar(value, i, bit), ring, site, 'prefix', ALICE, T0).ok),
    { numRuns: 2000 },
  );
  const bytes = Buffer.from(value, 'base64url');
  for (let i = 0; i < bytes.length * 8; i++) {
    const copy = Buffer.from(bytes);
    copy[i >> 3] ^= 1 << (i & 7);
    assert.equal(verifyClearance(copy.toString('base64url'), ring, site, 'prefix', ALICE, T0).ok, false, `bit ${i}`);
  }
});

test('property: any single-bit change to a challenge token is rejected', () => {
  const { token } = mintChallengeToken(challengeInput, ring, T0, random);
  fc.assert(
    fc.property(fc.nat(CHALLENGE_TOKEN_LENGTH - 1), fc.nat(7), (i, bit) => !verifyChallengeToken(flipChar(token, i, bit), ring, site, ALICE, T0).ok),
    { numRuns: 2000 },
  );
  const bytes = Buffer.from(token, 'base64url');
  for (let i = 0; i < bytes.length * 8; i++) {
    const copy = Buffer.from(bytes);
    copy[i >> 3] ^= 1 << (i & 7);
    assert.equal(verifyChallengeToken(copy.toString('base64url'), ring, site, ALICE, T0).ok, false, `bit ${i}`);
  }
});

test('a challenge token for a network-bound site follows the visitor across IPv4 and IPv6 of one network', () => {
  const { token } = mintChallengeToken({ ...challengeInput, client: ALICE_AS, binding: 'network' }, ring, T0, random);
  assert.equal(verifyChallengeToken(token, ring, site, ALICE_V6, T0, 'network').ok, true);
  assert.deepEqual(verifyChallengeToken(token, ring, site, { ...ALICE_V6, asn: 64511 }, T0, 'network'), { ok: false, reason: 'wrong_network' });
  assert.deepEqual(verifyChallengeToken(token, ring, site, ALICE_V6, T0, 'prefix'), { ok: false, reason: 'wrong_prefix' });
});

test('property: any single-bit change to a network-bound or no-JS clearance is rejected', () => {
  for (const input of [{ ...clearanceInput, client: ALICE_AS, binding: 'network' as const }, nojsInput]) {
    const value = mintClearance(input, ring, T0).value;
    const bytes = Buffer.from(value, 'base64url');
    for (let i = 0; i < bytes.length * 8; i++) {
      const copy = Buffer.from(bytes);
      copy[i >> 3] ^= 1 << (i & 7);
      assert.equal(verifyClearance(copy.toString('base64url'), ring, site, input.binding, ALICE_AS, T0).ok, false, `bit ${i}`);
    }
  }
});

test('mint refuses out-of-range parameters', () => {
  assert.throws(() => mintChallengeToken({ ...challengeInput, work: { count: 1, bits: 33 } }, ring, T0, random), RangeError);
  assert.throws(() => mintChallengeToken({ ...challengeInput, work: { count: 33, bits: 8 } }, ring, T0, random), RangeError);
  assert.throws(() => mintClearance({ ...clearanceInput, proof: { via: 'nojs', waitS: 0 } }, ring, T0), RangeError);
  assert.throws(() => mintClearance({ ...clearanceInput, proof: { via: 'pow', work: { count: 0, bits: 8 } } }, ring, T0), RangeError);
  assert.throws(() => mintChallengeToken({ ...challengeInput, lifetimeS: 0 }, ring, T0, random), RangeError);
  assert.throws(() => mintChallengeToken({ ...challengeInput, noJsWaitS: 256 }, ring, T0, random), RangeError);
  assert.throws(() => mintClearance({ ...clearanceInput, lifetimeS: 0 }, ring, T0), RangeError);
});

test('key ring refuses short secrets', () => {
  assert.throws(() => createKeyRing({ current: Buffer.alloc(16) }), { code: 'BULWARK_ERR_CHALLENGE_KEY_TOO_SHORT' });
});
