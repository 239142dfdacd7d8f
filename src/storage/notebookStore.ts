/**
 * Notebooks persist in IndexedDB (database `benchtop`, store `notebooks`), written on every change
 * by the autosave in src/state/notebook.svelte.ts. Small enough that one record per notebook works:
 * a 200-cell notebook is a few hundred kB of JSON.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { NotebookDoc } from '../core/notebook/types.ts';

export interface NotebookMeta {
  id: string;
  title: string;
  updatedAt: string;
  cellCount: number;
}

interface BenchtopDB extends DBSchema {
  notebooks: { key: string; value: NotebookDoc };
  files: {
    key: string;
    value: { sha256: string; name: string; size: number; bytes: Blob; storedAt: string };
  };
  settings: { key: string; value: unknown };
}

let dbPromise: Promise<IDBPDatabase<BenchtopDB>> | undefined;

/** One connection for the page; the schema version bumps when a store is added. */
export function benchtopDb(): Promise<IDBPDatabase<BenchtopDB>> {
  dbPromise ??= openDB<BenchtopDB>('benchtop', 2, {
    upgrade(db) {
      // Each store is created only when missing, so an upgrade from any earlier version works.
      if (!db.objectStoreNames.contains('notebooks')) db.createObjectStore('notebooks', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('files')) db.createObjectStore('files', { keyPath: 'sha256' });
      if (!db.objectStoreNames.contains('settings')) db.createObjectStore('settings');
      // v2: training runs (src/storage/runStore.ts), by id, indexed by notebook.
      const raw = db as unknown as IDBPDatabase;
      if (!raw.objectStoreNames.contains('runs'))
        raw.createObjectStore('runs', { keyPath: 'id' }).createIndex('notebookId', 'notebookId');
    },
  });
  return dbPromise;
}

export async function listNotebooks(): Promise<NotebookMeta[]> {
  const db = await benchtopDb();
  const all = await db.getAll('notebooks');
  return all
    .map((n) => ({ id: n.id, title: n.title, updatedAt: n.updatedAt, cellCount: n.cells.length }))
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}

export async function getNotebook(id: string): Promise<NotebookDoc | undefined> {
  return (await benchtopDb()).get('notebooks', id);
}

export async function putNotebook(doc: NotebookDoc): Promise<void> {
  // Structured clone rejects Svelte proxies; a JSON round trip gives plain data.
  await (await benchtopDb()).put('notebooks', JSON.parse(JSON.stringify(doc)) as NotebookDoc);
}

export async function deleteNotebook(id: string): Promise<void> {
  await (await benchtopDb()).delete('notebooks', id);
}

export async function getSetting<T>(key: string): Promise<T | undefined> {
  return (await (await benchtopDb()).get('settings', key)) as T | undefined;
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await (await benchtopDb()).put('settings', value, key);
}
