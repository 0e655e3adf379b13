/**
 * The challenge solver: one static script, served by Bulwark itself at {@link SOLVER_SCRIPT_PATH} (same
 * origin, never forwarded, cacheable for a year: its path changes with its content), that runs both as the
 * page's script and as the Web Workers' script. Nothing is fetched from anywhere else, and the page itself
 * carries no script — so every challenge page of a site and level is the same bytes but for the token,
 * the return path and the request ID.
 *
 * On the page, it reads the puzzle from the form's `data-seed` / `data-count` / `data-bits` attributes (no
 * value is ever interpolated into script text) and gives the sub-challenges (../pow.ts) to up to 4
 * workers, each with its own share first and then helping with the rest; it falls back to the main thread
 * in small slices (so the page stays responsive) when workers are unavailable (an old browser) or fail.
 * Progress goes to a `<progress>` element every slice and to a polite live region at 25 % steps only, so
 * screen readers are not flooded; the remaining time is estimated from the speed measured so far. When
 * every sub-challenge is solved it fills the hidden `solution` field (counters joined by `.`) and submits
 * the form (POST to `/.bulwark/challenge/verify`).
 *
 * SHA-256 is implemented here in plain JavaScript rather than with `crypto.subtle`, which exists only in
 * secure contexts (not on plain-HTTP sites) and costs an async round trip per hash. The message is the
 * 16-character seed, the sub-challenge's letter and the decimal counter: always one 64-byte block. It must
 * agree exactly with `checkPowSolution` in ../pow.ts (a test runs this script's `search` against it).
 *
 * Written in ES5 on purpose: it must run in whatever browser a visitor has.
 */

import { createHash } from 'node:crypto';
import { SUB_INDEX } from '../pow.ts';

/** The search function, also used on its own by the tests (evaluated in node:vm). */
export const SEARCH_FUNCTION_SOURCE = `function search(seed, letter, bits, start, count) {
  var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
    0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
    0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
    0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
    0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
    0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
    0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
    0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
  var w = new Int32Array(64), m = new Uint8Array(64), sl = seed.length + 1, i, n, c = start;
  for (i = 0; i < sl - 1; i++) m[i] = seed.charCodeAt(i);
  m[sl - 1] = letter.charCodeAt(0);
  for (n = 0; n < count; n++, c++) {
    var d = String(c), len = sl + d.length;
    for (i = 0; i < d.length; i++) m[sl + i] = d.charCodeAt(i);
    m[len] = 0x80;
    for (i = len + 1; i < 62; i++) m[i] = 0;
    m[62] = (len * 8) >>> 8; m[63] = (len * 8) & 255;
    for (i = 0; i < 16; i++) w[i] = (m[4*i] << 24) | (m[4*i+1] << 16) | (m[4*i+2] << 8) | m[4*i+3];
    for (i = 16; i < 64; i++) {
      var x = w[i-15], y = w[i-2];
      w[i] = (w[i-16] + (((x>>>7)|(x<<25)) ^ ((x>>>18)|(x<<14)) ^ (x>>>3)) + w[i-7] +
        (((y>>>17)|(y<<15)) ^ ((y>>>19)|(y<<13)) ^ (y>>>10))) | 0;
    }
    var a = 0x6a09e667, b = 0xbb67ae85|0, cc = 0x3c6ef372, dd = 0xa54ff53a|0,
      e = 0x510e527f, f = 0x9b05688c|0, g = 0x1f83d9ab, h = 0x5be0cd19;
    for (i = 0; i < 64; i++) {
      var t1 = (h + (((e>>>6)|(e<<26)) ^ ((e>>>11)|(e<<21)) ^ ((e>>>25)|(e<<7))) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      var t2 = ((((a>>>2)|(a<<30)) ^ ((a>>>13)|(a<<19)) ^ ((a>>>22)|(a<<10))) + ((a & b) ^ (a & cc) ^ (b & cc))) | 0;
      h = g; g = f; f = e; e = (dd + t1) | 0; dd = cc; cc = b; b = a; a = (t1 + t2) | 0;
    }
    var z = Math.clz32((0x6a09e667 + a) | 0);
    if (z === 32) z += Math.clz32((0xbb67ae85 + b) | 0);
    if (z >= bits) return c;
  }
  return -1;
}`;

/**
 * The worker's part. Each worker gets the whole puzzle once and its number `w` of `k`: it solves its own
 * sub-challenges (w, w+k, w+2k...) front to back, then helps with the others' from the back — so no
 * worker ever waits for the page's thread (which may be slow: a phone's, or throttled) to hand out work.
 * The page announces each solved sub-challenge; a worker reads those notes between sub-challenges and
 * skips what is done. It reports attempts at most every 250 ms, and each counter it finds.
 */
const WORKER_PART = `function worker() {
  var p = null, done = [], order = [], pos = 0, later = yielder();
  self.onmessage = function (ev) {
    var d = ev.data;
    if (d.done !== undefined) { done[d.done] = true; return; }
    p = d;
    for (var i = p.w; i < p.count; i += p.k) order.push(i);
    for (var j = p.count - 1; j >= 0; j--) if (j % p.k !== p.w) order.push(j);
    later(step);
  };
  function step() {
    while (pos < order.length && done[order[pos]]) pos++;
    if (pos >= order.length) return;
    var index = order[pos++], c = 0, slice = 4096, told = 0, last = Date.now();
    for (;;) {
      var r = search(p.seed, LETTERS.charAt(index), p.bits, c, slice);
      if (r >= 0) { done[index] = true; self.postMessage({ index: index, found: r, tried: r + 1 - told }); break; }
      c += slice;
      if (Date.now() - last >= 250) { self.postMessage({ tried: c - told }); told = c; last = Date.now(); }
    }
    // Next sub-challenge after the notes that arrived meanwhile.
    later(step);
  }
}`;

/** Runs a function after the queued messages, without setTimeout's 4 ms clamp (a MessageChannel message). */
const YIELDER = `function yielder() {
  if (typeof MessageChannel === 'undefined') return function (fn) { setTimeout(fn, 0); };
  var ch = new MessageChannel(), queued = null;
  ch.port1.onmessage = function () { var fn = queued; queued = null; fn(); };
  return function (fn) { queued = fn; ch.port2.postMessage(0); };
}`;

/** The page's part: hands out sub-challenges, shows progress, submits. */
const PAGE_PART = `function page(script) {
  var form = document.getElementById('bw-form');
  if (!form) return;
  var seed = form.getAttribute('data-seed'), count = +form.getAttribute('data-count'), bits = +form.getAttribute('data-bits');
  var box = document.getElementById('bw-js'), bar = document.getElementById('bw-progress');
  var live = document.getElementById('bw-status'), total = count * Math.pow(2, bits);
  var found = [], solved = 0, tried = 0, told = 0, done = false, workers = [], t0 = Date.now();
  box.hidden = false;
  function say(text) { live.textContent = text; }
  function progress(n) {
    tried += n;
    var f = Math.min(0.99, Math.max(solved / count, tried / total)), pct = Math.floor(100 * f);
    bar.value = pct; bar.textContent = pct + '%';
    if (pct >= told + 25) {
      told = pct - (pct % 25);
      var left = Math.max(1, Math.round((Date.now() - t0) * (1 - f) / f / 1000));
      say('About ' + told + '% done, about ' + left + (left === 1 ? ' second' : ' seconds') + ' left.');
    }
  }
  function finish() {
    if (done) return;
    done = true;
    for (var i = 0; i < workers.length; i++) workers[i].terminate();
    bar.value = 100; bar.textContent = '100%';
    say('Done. Taking you to the page now.');
    form.elements.namedItem('solution').value = found.join('.');
    form.submit();
  }
  function solve(index, counter) {
    if (found[index] !== undefined) return;
    found[index] = counter;
    if (++solved === count) { finish(); return; }
    for (var i = 0; i < workers.length; i++) workers[i].postMessage({ done: index });
  }
  var yieldNow = yielder();
  function onMainThread() {
    if (done) return;
    for (var i = 0; i < workers.length; i++) workers[i].terminate();
    workers = [];
    var index = 0, c = 0, slice = 2048;
    (function step() {
      if (done) return;
      // Work for ~100 ms, then let the page breathe (paint the progress, answer input): on a slow or
      // throttled thread every yield also pays for a frame, so shorter slices cost more than they give.
      var until = Date.now() + 100, n = 0;
      while (Date.now() < until) {
        while (index < count && found[index] !== undefined) { index++; c = 0; }
        if (index >= count) break;
        var r = search(seed, LETTERS.charAt(index), bits, c, slice);
        if (r >= 0) { n += r - c + 1; solve(index, r); c = 0; if (done) return; } else { c += slice; n += slice; }
      }
      progress(n);
      if (index < count) yieldNow(step);
    })();
  }
  try {
    var k = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1, count));
    for (var i = 0; i < k; i++) {
      var wk = new Worker(script);
      wk.onmessage = function (ev) {
        var d = ev.data;
        if (d.found !== undefined) solve(d.index, d.found);
        progress(d.tried);
      };
      wk.onerror = function (ev) { if (ev && ev.preventDefault) ev.preventDefault(); onMainThread(); };
      workers.push(wk);
      wk.postMessage({ seed: seed, bits: bits, count: count, k: k, w: i });
    }
  } catch (err) {
    onMainThread();
  }
}`;

/** The whole script (served as a file; see the module comment). */
export const SOLVER_SCRIPT = `(function () {
  'use strict';
  var LETTERS = ${JSON.stringify(SUB_INDEX)};
  ${SEARCH_FUNCTION_SOURCE}
  ${YIELDER}
  ${WORKER_PART}
  ${PAGE_PART}
  if (typeof document === 'undefined') worker();
  else page(document.currentScript && document.currentScript.src);
})();
`;

const DIGEST = createHash('sha256').update(SOLVER_SCRIPT).digest();

/** Where the script is served: its path names its content, so it can be cached as immutable. */
export const SOLVER_SCRIPT_PATH = `/.bulwark/challenge/solver-${DIGEST.subarray(0, 6).toString('hex')}.js`;

/** Subresource Integrity value of the script (https://www.w3.org/TR/SRI/). */
export const SOLVER_SCRIPT_INTEGRITY = `sha256-${DIGEST.toString('base64')}`;
