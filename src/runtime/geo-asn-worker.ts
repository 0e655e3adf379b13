/**
 * Worker thread that reads the ASN CSV files and builds the table's typed arrays, so the half second or
 * more of parsing at start-up never blocks the event loop that is already serving requests. The arrays
 * come back transferred (no copy).
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { asnTableBuffers, parseAsnTableData } from '../core/identify/geo/asn-table.ts';

export interface AsnWorkerInput {
  readonly v4Path: string | null;
  readonly v6Path: string | null;
}

export type AsnWorkerOutput =
  | { readonly ok: true; readonly data: ReturnType<typeof parseAsnTableData> }
  | { readonly ok: false; readonly file: string; readonly errno: string | undefined; readonly message: string };

const input = workerData as AsnWorkerInput;
let current = '';
try {
  const read = (file: string | null): string | undefined => {
    if (file === null) return undefined;
    current = file;
    return readFileSync(file).toString('latin1');
  };
  const data = parseAsnTableData({ v4: read(input.v4Path), v6: read(input.v6Path), latin1: true });
  parentPort!.postMessage({ ok: true, data } satisfies AsnWorkerOutput, asnTableBuffers(data));
} catch (err) {
  parentPort!.postMessage({ ok: false, file: current, errno: (err as NodeJS.ErrnoException).code, message: (err as Error).message } satisfies AsnWorkerOutput);
}
