/**
 * Child process that reads the ASN CSV files, builds the table and writes its binary image
 * (core/identify/geo/asn-binary.ts) to the file it is given, then exits. A process, not a thread: the
 * half second of parsing never blocks the event loop that is already serving requests, and the parse's
 * buffers (tens of megabytes) go back to the system with the process instead of staying in a thread's
 * allocator arena inside Bulwark for its whole life. Writes to `<out>.<pid>.tmp` and renames, so a
 * reader never sees half an image.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { encodeAsnTableData } from '../core/identify/geo/asn-binary.ts';
import { parseAsnTableData } from '../core/identify/geo/asn-table.ts';

export interface AsnWorkerInput {
  readonly v4Path: string | null;
  readonly v6Path: string | null;
  /** Where the image goes. */
  readonly out: string;
}

export type AsnWorkerOutput =
  | { readonly ok: true }
  | { readonly ok: false; readonly file: string; readonly errno: string | undefined; readonly message: string };

const input = JSON.parse(process.argv[2] ?? '{}') as AsnWorkerInput;
let current = '';
let result: AsnWorkerOutput;
try {
  const read = (file: string | null): string | undefined => {
    if (file === null) return undefined;
    current = file;
    return readFileSync(file).toString('latin1');
  };
  const data = parseAsnTableData({ v4: read(input.v4Path), v6: read(input.v6Path), latin1: true });
  current = input.out;
  const tmp = `${input.out}.${process.pid}.tmp`;
  writeFileSync(tmp, encodeAsnTableData(data));
  renameSync(tmp, input.out);
  result = { ok: true };
} catch (err) {
  result = { ok: false, file: current, errno: (err as NodeJS.ErrnoException).code, message: (err as Error).message };
}
process.send!(result, () => process.exit(0));
