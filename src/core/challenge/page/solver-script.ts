/**
 * The challenge page's inline script, as a constant string (served inline under the page's CSP nonce;
 * nothing is fetched from anywhere).
 *
 * It reads the puzzle from the form's `data-seed` / `data-difficulty` attributes (no value is ever
 * interpolated into script text), then searches for the counter in Web Workers created from a Blob of
 * the `search` function below — up to 4 workers, each trying every k-th counter — and falls back to the
 * main thread in small slices (so the page stays responsive) when workers are unavailable (old browser,
 * CSP without `worker-src blob:`) or fail. Progress goes to a `<progress>` element every slice and to a
 * polite live region at 25 % steps only, so screen readers are not flooded. When found, it fills the
 * hidden `solution` field and submits the form (POST to `/.bulwark/challenge/verify`).
 *
 * SHA-256 is implemented here in plain JavaScript rather than with `crypto.subtle`, which exists only in
 * secure contexts (not on plain-HTTP sites) and costs an async round trip per hash. The message is the
 * 16-character seed followed by the decimal counter: always one 64-byte block. It must agree exactly with
 * `checkPowSolution` in ../pow.ts (a test runs this script's `search` against it).
 *
 * Written in ES5 on purpose: it must run in whatever browser a visitor has.
 */

/** The search function, also used on its own by the tests (evaluated in node:vm). */
export const SEARCH_FUNCTION_SOURCE = `function search(seed, bits, start, step, count) {
  var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
    0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
    0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
    0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
    0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
    0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
    0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
    0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
  var w = new Int32Array(64), m = new Uint8Array(64), sl = seed.length, i, n, c = start;
  for (i = 0; i < sl; i++) m[i] = seed.charCodeAt(i);
  for (n = 0; n < count; n++, c += step) {
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

/** The worker's body: searches in slices and reports progress, until told to stop or it finds. */
const WORKER_BODY = `self.onmessage = function (ev) {
  var p = ev.data, c = p.start, slice = 16384;
  for (;;) {
    var r = search(p.seed, p.bits, c, p.step, slice);
    if (r >= 0) { self.postMessage({ found: r }); return; }
    c += slice * p.step;
    self.postMessage({ tried: slice });
  }
};`;

/** The page script (inline, nonce-guarded). */
export const SOLVER_SCRIPT = `(function () {
  'use strict';
  ${SEARCH_FUNCTION_SOURCE}
  var form = document.getElementById('bw-form');
  if (!form) return;
  var seed = form.getAttribute('data-seed'), bits = +form.getAttribute('data-difficulty');
  var box = document.getElementById('bw-js'), bar = document.getElementById('bw-progress');
  var live = document.getElementById('bw-status'), expected = Math.pow(2, bits);
  var tried = 0, told = 0, done = false, workers = [];
  box.hidden = false;
  function say(text) { live.textContent = text; }
  function progress(n) {
    tried += n;
    var pct = Math.min(99, Math.floor(100 * (1 - Math.exp(-tried / expected))));
    bar.value = pct; bar.textContent = pct + '%';
    if (pct >= told + 25) { told = pct - (pct % 25); say('Still working: about ' + told + '% done.'); }
  }
  function finish(counter) {
    if (done) return;
    done = true;
    for (var i = 0; i < workers.length; i++) workers[i].terminate();
    bar.value = 100; bar.textContent = '100%';
    say('Done. Taking you to the page now.');
    form.elements.namedItem('solution').value = String(counter);
    form.submit();
  }
  function onMainThread() {
    if (done) return;
    for (var i = 0; i < workers.length; i++) workers[i].terminate();
    workers = [];
    var c = 0, slice = 4096;
    (function next() {
      if (done) return;
      var r = search(seed, bits, c, 1, slice);
      if (r >= 0) { finish(r); return; }
      c += slice; progress(slice); setTimeout(next, 0);
    })();
  }
  say('Checking your browser. This usually takes a few seconds.');
  try {
    var src = search.toString() + '\\n' + ${JSON.stringify(WORKER_BODY)};
    var url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    var k = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
    for (var i = 0; i < k; i++) {
      var wk = new Worker(url);
      wk.onmessage = function (ev) { if (ev.data.found !== undefined) finish(ev.data.found); else progress(ev.data.tried); };
      wk.onerror = function (ev) { if (ev && ev.preventDefault) ev.preventDefault(); onMainThread(); };
      wk.postMessage({ seed: seed, bits: bits, start: i, step: k });
      workers.push(wk);
    }
  } catch (err) {
    onMainThread();
  }
})();`;
