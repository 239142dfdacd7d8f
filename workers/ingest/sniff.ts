/**
 * Format sniffing from the file name and the first bytes. Pure (no DOM) so it is unit-tested in Node.
 *
 * Magic bytes win over the extension for binary formats (a Parquet file named `.csv` is still Parquet),
 * and foreign formats (images, archives, PDFs) are recognised so the message can say what the file
 * really is instead of "invalid CSV".
 */
import type { FileFormat } from '../data.api.ts';

const startsWith = (bytes: Uint8Array, magic: number[], at = 0): boolean =>
  bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Formats we cannot ingest but can name, so the user learns what they dropped. */
const FOREIGN: { magic: number[]; what: string }[] = [
  { magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], what: 'a PNG image' },
  { magic: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { magic: ascii('GIF8'), what: 'a GIF image' },
  { magic: ascii('%PDF'), what: 'a PDF document' },
  {
    magic: [0x50, 0x4b, 0x03, 0x04],
    what: 'a ZIP archive (or an Excel .xlsx file); unzip or export it as CSV first',
  },
  { magic: [0x50, 0x4b, 0x05, 0x06], what: 'an empty ZIP archive' },
  { magic: [0x1f, 0x8b], what: 'a gzip-compressed file; decompress it first' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'a zstd-compressed file; decompress it first' },
  { magic: ascii('BZh'), what: 'a bzip2-compressed file; decompress it first' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'an xz-compressed file; decompress it first' },
  { magic: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: 'an old Excel (.xls) or Office file' },
  { magic: ascii('SQLite format 3'), what: 'a SQLite database' },
  { magic: [0x7f, 0x45, 0x4c, 0x46], what: 'an executable (ELF)' },
];

/** What a foreign binary file looks like ("a PNG image"), or undefined when it is not one we know. */
export function detectForeign(bytes: Uint8Array): string | undefined {
  return FOREIGN.find((f) => startsWith(bytes, f.magic))?.what;
}

export const PARQUET_MAGIC = ascii('PAR1');
export const ARROW_FILE_MAGIC = ascii('ARROW1');

export function isParquet(bytes: Uint8Array): boolean {
  return startsWith(bytes, PARQUET_MAGIC);
}

/** Arrow IPC file (`ARROW1`) or stream (a message starting with the 0xFFFFFFFF continuation marker). */
export function isArrow(bytes: Uint8Array): boolean {
  return startsWith(bytes, ARROW_FILE_MAGIC) || startsWith(bytes, [0xff, 0xff, 0xff, 0xff]);
}

function extension(fileName: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(fileName);
  return m ? m[1].toLowerCase() : '';
}

const BY_EXTENSION: Record<string, FileFormat> = {
  csv: 'csv',
  txt: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  parquet: 'parquet',
  pq: 'parquet',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  arrow: 'arrow',
  feather: 'arrow',
  ipc: 'arrow',
  arrows: 'arrow',
};

/** First non-whitespace byte after an optional UTF-8 BOM, or -1. */
function firstSignificantByte(bytes: Uint8Array): number {
  let i = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  for (; i < bytes.length && i < 4096; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return -1;
}

/** `{...}\n{...}`: the first line is a complete JSON value and a second non-empty line follows. */
function looksLikeNdjson(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 65536));
  const lines = head.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2 || !lines[0].trim().startsWith('{')) return false;
  try {
    JSON.parse(lines[0]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The format to ingest `bytes` as. Binary magic first (it cannot lie), then the extension, then a
 * text-content guess. Unknown text falls back to CSV so the CSV checks produce the message.
 */
export function sniffFormat(fileName: string, bytes: Uint8Array): FileFormat {
  if (isParquet(bytes)) return 'parquet';
  if (startsWith(bytes, ARROW_FILE_MAGIC)) return 'arrow';
  const ext = BY_EXTENSION[extension(fileName)];
  // A `.json` file that is really one object per line is common (exports name NDJSON `.json`).
  if (ext === 'json' && firstSignificantByte(bytes) === 0x7b && looksLikeNdjson(bytes)) return 'ndjson';
  if (ext) return ext;
  if (isArrow(bytes)) return 'arrow';
  const first = firstSignificantByte(bytes);
  if (first === 0x5b /* [ */) return 'json';
  if (first === 0x7b /* { */) return looksLikeNdjson(bytes) ? 'ndjson' : 'json';
  return 'csv';
}
