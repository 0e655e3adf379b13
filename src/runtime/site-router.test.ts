import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSiteRouter, normalizeHost } from './site-router.ts';

test('normalizeHost strips port, trailing dot and case', () => {
  assert.equal(normalizeHost('Example.ORG.:8080'), 'example.org');
  assert.equal(normalizeHost('[::1]:8080'), '[::1]');
  assert.equal(normalizeHost(undefined), '');
});

test('exact beats the longest wildcard, which beats the catch-all', () => {
  const r = createSiteRouter([
    { hosts: ['news.example.org'], site: 'exact' },
    { hosts: ['*.example.org'], site: 'wild' },
    { hosts: ['*.eu.example.org'], site: 'wild-eu' },
    { hosts: ['*'], site: 'any' },
  ]);
  assert.equal(r.route('news.example.org'), 'exact');
  assert.equal(r.route('a.example.org'), 'wild');
  assert.equal(r.route('a.eu.example.org'), 'wild-eu');
  assert.equal(r.route('example.org'), 'any');
  assert.equal(createSiteRouter([{ hosts: ['a.org'], site: 1 }]).route('b.org'), null);
});
