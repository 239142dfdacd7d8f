/**
 * Dropped files persist in the browser so a reload restores every table: in the Origin Private File
 * System when the browser has it (fast, no size overhead), else in IndexedDB as Blobs. Files are
 * keyed by SHA-256 so the same file dropped twice, or referenced by two notebooks, is stored once.
 */
import { benchtopDb } from './notebookStore.ts';

export type FileBackend = 'opfs' | 'indexeddb';

export interface StoredFile {
  sha256: string;
  name: string;
  size: number;
}

async function opfsDir(): Promise<FileSystemDirectoryHandle | undefined> {
  try {
    const root = await navigator.storage?.getDirectory?.();
    return root ? await root.getDirectoryHandle('benchtop-files', { create: true }) : undefined;
  } catch {
    return undefined; // e.g. private windows; IndexedDB still works
  }
}

let backendPromise: Promise<FileBackend> | undefined;

/** Which store this browser uses; decided once per page. */
export function fileBackend(): Promise<FileBackend> {
  backendPromise ??= opfsDir().then((d) => (d ? 'opfs' : 'indexeddb'));
  return backendPromise;
}

export async function putFile(file: StoredFile, bytes: Uint8Array): Promise<void> {
  const db = await benchtopDb();
  const blob = new Blob([bytes as BlobPart]);
  if ((await fileBackend()) === 'opfs') {
    const dir = (await opfsDir())!;
    const handle = await dir.getFileHandle(file.sha256, { create: true });
    const w = await handle.createWritable();
    await w.write(blob);
    await w.close();
    // Metadata (name, size) goes to IndexedDB in both cases; the bytes stay in OPFS.
    await db.put('files', { ...file, bytes: new Blob([]), storedAt: new Date().toISOString() });
  } else {
    await db.put('files', { ...file, bytes: blob, storedAt: new Date().toISOString() });
  }
}

export async function getFile(sha256: string): Promise<Uint8Array | undefined> {
  const db = await benchtopDb();
  const rec = await db.get('files', sha256);
  if (!rec) return undefined;
  if ((await fileBackend()) === 'opfs') {
    try {
      const dir = (await opfsDir())!;
      const f = await (await dir.getFileHandle(sha256)).getFile();
      return new Uint8Array(await f.arrayBuffer());
    } catch {
      return undefined;
    }
  }
  return new Uint8Array(await rec.bytes.arrayBuffer());
}

/** Whether the file's bytes are stored (metadata lookup only; the bytes are not read). */
export async function hasFile(sha256: string): Promise<boolean> {
  return (await (await benchtopDb()).getKey('files', sha256)) !== undefined;
}

export async function listFiles(): Promise<StoredFile[]> {
  const db = await benchtopDb();
  return (await db.getAll('files')).map(({ sha256, name, size }) => ({ sha256, name, size }));
}

export async function deleteFile(sha256: string): Promise<void> {
  const db = await benchtopDb();
  await db.delete('files', sha256);
  const dir = await opfsDir();
  await dir?.removeEntry(sha256).catch(() => undefined);
}
