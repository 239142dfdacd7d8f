/**
 * Files dropped or picked by the user. Each is size-checked before it is read (a 2 GB file never
 * enters memory), stored in the browser, and becomes a source cell that runs at once. A file that
 * fails gets a message naming it; the notebook and the other files are unaffected.
 */
import { checkFileSize } from '../../workers/ingest/precheck.ts';
import { deleteFile } from '../storage/fileStore.ts';
import { notebook } from './notebook.svelte.ts';
import { toast } from './toasts.svelte.ts';

export async function dropFiles(files: File[]): Promise<void> {
  const ran: string[] = [];
  const added = new Set<string>();
  for (const file of files) {
    try {
      checkFileSize(file.name, file.size);
      const bytes = new Uint8Array(await file.arrayBuffer());
      const { cellIds, added: isNew } = await notebook.addFile(file.name, bytes, { addCell: true });
      ran.push(...cellIds);
      if (isNew) for (const id of cellIds) added.add(id);
    } catch (e) {
      toast('error', `Could not add ${file.name}`, (e as Error).message);
    }
  }
  if (ran.length) await notebook.runCells(ran);
  // A file that cannot be loaded leaves the notebook as it was: its new cell and stored bytes are
  // removed again and the error names the file. (A cell that already existed keeps its error in
  // place instead: it is the user's cell.)
  for (const id of ran) {
    const cell = notebook.cell(id);
    const r = notebook.runs[id];
    if (!cell || r?.status !== 'error') continue;
    const ref = cell.config.ref as { name?: string; sha256?: string };
    toast('error', `Could not load ${ref.name ?? id}`, r.error);
    if (added.has(id)) {
      notebook.deleteCell(id);
      if (ref.sha256) await deleteFile(ref.sha256).catch(() => undefined);
    }
  }
}
