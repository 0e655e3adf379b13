/**
 * Child process that builds the geo image file (geo-image-build.ts) and exits. A process, not a thread:
 * the half second of parsing never blocks the event loop that is already serving requests, and the
 * parse's buffers (tens of megabytes) go back to the system with the process instead of staying in a
 * thread's allocator arena inside Bulwark for its whole life.
 */
import { buildGeoImageFile, GeoBuildError } from './geo-image-build.ts';
import type { GeoBuildInput, GeoBuildPart } from './geo-image-build.ts';

/** The child's argument (JSON). */
export type GeoWorkerInput = GeoBuildInput;

/** The child's one message to its parent. */
export type GeoWorkerOutput =
  | { readonly ok: true }
  | { readonly ok: false; readonly part: GeoBuildPart; readonly file: string; readonly errno: string | undefined; readonly message: string };

const input = JSON.parse(process.argv[2] ?? '{}') as GeoWorkerInput;
let result: GeoWorkerOutput;
try {
  buildGeoImageFile(input);
  result = { ok: true };
} catch (err) {
  const e = err instanceof GeoBuildError ? err : new GeoBuildError('image', input.out, undefined, (err as Error).message);
  result = { ok: false, part: e.part, file: e.file, errno: e.errno, message: e.message };
}
process.send!(result, () => process.exit(0));
