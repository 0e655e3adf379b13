import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../canonical-json.ts';
import { scoId, sdoId, STIX_SCO_NAMESPACE } from './stix-ids.ts';
import { rulePattern, quote } from './stix-patterns.ts';
import { uuid5 } from './uuid5.ts';

describe('deterministic STIX ids', () => {
  it('uuid5 matches the published example (Python docs: uuid5(NAMESPACE_DNS, "python.org"))', () => {
    assert.equal(uuid5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
    assert.throws(() => uuid5('not-a-uuid', 'x'), TypeError);
  });

  it('SCO ids are the UUIDv5 of the canonical JSON of their contributing properties, in the STIX namespace', () => {
    assert.equal(scoId('ipv4-addr', { value: '198.51.100.0/24', belongs_to_refs: ['x'] }), `ipv4-addr--${uuid5(STIX_SCO_NAMESPACE, '{"value":"198.51.100.0/24"}')}`);
    assert.equal(scoId('autonomous-system', { number: 64496, name: 'A' }), `autonomous-system--${uuid5(STIX_SCO_NAMESPACE, '{"number":64496}')}`);
    const t = scoId('network-traffic', { start: 's', src_ref: 'r', protocols: ['tcp'], end: 'e', is_active: false });
    assert.equal(t, `network-traffic--${uuid5(STIX_SCO_NAMESPACE, '{"end":"e","protocols":["tcp"],"src_ref":"r","start":"s"}')}`);
    assert.match(t, /^network-traffic--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.throws(() => scoId('file', {}), TypeError);
  });

  it('SDO ids depend on their parts only', () => {
    assert.equal(sdoId('incident', 'Org', 'inc-1'), sdoId('incident', 'Org', 'inc-1'));
    assert.notEqual(sdoId('incident', 'Org', 'inc-1'), sdoId('incident', 'Other org', 'inc-1'));
  });

  it('canonical JSON sorts keys at every level and leaves out undefined', () => {
    assert.equal(canonicalJson({ b: [1, { d: 2, c: 'x' }], a: undefined, c: null }), '{"b":[1,{"c":"x","d":2}],"c":null}');
  });
});

describe('STIX patterns of signature rules', () => {
  const cases: ReadonlyArray<[Record<string, string | number>, string | null]> = [
    [{ prefix: '198.51.100.0/24' }, "[network-traffic:src_ref.value ISSUBSET '198.51.100.0/24']"],
    [{ asn: 64496, path: '/search' }, "[network-traffic:src_ref.belongs_to_refs[*].number = 64496 AND network-traffic:extensions.'http-request-ext'.request_value MATCHES '^/search(\\\\?|$)']"],
    [{ user_agent: "it's \\ odd" }, "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'it\\'s \\\\ odd']"],
    [{ fingerprint: 'fp-1' }, "[network-traffic:x_bulwark_header_fingerprint = 'fp-1']"],
    [{ path: '/a.b+c' }, "[network-traffic:extensions.'http-request-ext'.request_value MATCHES '^/a\\\\.b\\\\+c(\\\\?|$)']"],
    [{ asn: 'x' }, null],
    [{ unknown: 'x' }, null],
    [{}, null],
  ];
  for (const [match, pattern] of cases) it(JSON.stringify(match), () => assert.equal(rulePattern(match), pattern));

  it('quotes backslashes and single quotes', () => assert.equal(quote("a'b\\c"), "'a\\'b\\\\c'"));
});
