/**
 * A detector baseline learned from two minutes of quiet traffic (2 req/s from one /24), as if Bulwark
 * had run before: tests save it for a site before start, so a flood is judged against a warm baseline
 * at once instead of after the warm-up.
 */
import { createSiteDetector } from '../../src/core/detect/index.ts';
import { siteDetectorOptions } from '../../src/detection/detection-options.ts';
import { detectionSchema } from '../../src/config/detection-schema.ts';

export function learnedBaseline(site: string, detectionInput: Record<string, unknown>, nowMs: number): unknown {
  const detection = detectionSchema.parse(detectionInput);
  const start = nowMs - 130_000;
  const d = createSiteDetector(siteDetectorOptions(detection, 1), start);
  for (let s = 0; s < 120; s++) {
    d.tick(start + s * 1000);
    for (let i = 0; i < 2; i++) {
      d.observe(
        {
          site, outcome: 'forwarded', status: 200, address: `10.9.0.${(s + i) % 50}`, prefix: '10.9.0.0/24', asn: null, country: null, path: '/',
          userAgent: 'Mozilla/5.0 Firefox', fingerprint: 'fp', cleared: false, originLatencyMs: 5, bytesIn: 100, bytesOut: 1000, cache: null, challenge: null,
        },
        start + s * 1000 + 100 + i * 300,
      );
    }
  }
  return d.baselineJson();
}
