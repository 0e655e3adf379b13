/**
 * Long-lived parts shared by every config generation: they are built once at start (or loaded in the
 * background) and survive reloads. Each capability adds its part here rather than threading new
 * parameters through the runtime.
 */
import type { GeoData } from './edge/geo-data.ts';

export interface Services {
  /** ASN and country data; null until loaded (start-up does not wait for it) or when disabled. */
  geo: GeoData | null;
}

export function createServices(): Services {
  return { geo: null };
}
