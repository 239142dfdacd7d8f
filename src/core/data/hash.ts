/**
 * File identity for `file` data sources. A shared notebook carries a dropped file's name, size and
 * SHA-256, never its bytes; the receiver drops their copy and we check it is the same file before the
 * notebook runs on it, so nobody silently gets results computed from different data.
 *
 * Identity is the content (size + SHA-256). The name is not: files get renamed when downloaded twice
 * (`orders (1).csv`), and refusing those would only annoy. A renamed file is accepted with a note.
 */

export interface FileIdentity {
  name: string;
  /** Bytes. */
  size: number;
  /** Lower-case hex. */
  sha256: string;
}

/** SHA-256 of `bytes` as 64 lower-case hex digits (WebCrypto: browsers, workers and Node ≥ 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    // WebCrypto's `subtle` exists only in secure contexts (https or localhost).
    throw new Error(
      'Cannot check files here: this page is not a secure context (open it over https or localhost)',
    );
  }
  // `digest` takes an ArrayBuffer-backed view; a view over a SharedArrayBuffer must be copied first.
  const view =
    bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const digest = new Uint8Array(await subtle.digest('SHA-256', view));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Whether two descriptions denote the same content (size and SHA-256; the name may differ). */
export function sameContent(expected: FileIdentity, actual: FileIdentity): boolean {
  return expected.size === actual.size && expected.sha256.toLowerCase() === actual.sha256.toLowerCase();
}

/**
 * The message to show when `actual` is not the file the notebook was made with, or null when it is
 * (same size and SHA-256, whatever its name — see `describeRename` for the note to show then).
 */
export function describeMismatch(expected: FileIdentity, actual: FileIdentity): string | null {
  if (sameContent(expected, actual)) return null;
  return (
    `This is not the file the notebook was made with: expected ${describe(expected)}; got ${describe(actual)}. ` +
    'Drop the original file, or change the data source to use this one.'
  );
}

/** A note for a file with the right content under another name, or null when the name matches too. */
export function describeRename(expected: FileIdentity, actual: FileIdentity): string | null {
  if (!sameContent(expected, actual) || expected.name === actual.name) return null;
  return `The notebook was made with ${expected.name}; ${actual.name} has the same content, so it is used instead.`;
}

function describe(f: FileIdentity): string {
  return `${f.name}, ${formatBytes(f.size)}, SHA-256 ${shortHash(f.sha256)}`;
}

/** `1234567` → `1,234,567 bytes` (exact: a size off by one byte is still a different file). */
export function formatBytes(size: number): string {
  return `${size.toLocaleString('en-US')} ${size === 1 ? 'byte' : 'bytes'}`;
}

/** First 8 hex digits: enough to tell two files apart at a glance, short enough to read. */
function shortHash(sha256: string): string {
  return `${sha256.toLowerCase().slice(0, 8)}…`;
}
