/**
 * Files dropped or picked by the user. Each is size-checked before it is read (a 2 GB file never
 * enters memory), stored in the browser, and becomes a source cell that runs at once. A file that
 * fails gets a message naming it; the notebook and the other files are unaffected.
 */
import { checkFileSize } from '../../workers/ingest/precheck.ts';
import { notebook } from './notebook.svelte.ts';
import { toast } from './toasts.svelte.ts';

export async function dropFiles(files: File[]): Promise<void> {
  const ran: string[] = [];
  for (const file of files) {
    try {
      checkFileSize(file.name, file.size);
      const bytes = new Uint8Array(await file.arrayBuffer());
      const { cellIds } = await notebook.addFile(file.name, bytes, { addCell: true });
      ran.push(...cellIds);
    } catch (e) {
      toast('error', `Could not add ${file.name}`, (e as Error).message);
    }
  }
  if (ran.length) await notebook.runCells(ran);
  // A failed ingest leaves its cell with the error in place; say it in a toast too, since the
  // cell may be off screen after a multi-file drop.
  for (const id of ran) {
    const cell = notebook.cell(id);
    const r = notebook.runs[id];
    if (cell && r?.status === 'error') {
      toast('error', `Could not load ${(cell.config.ref as { name?: string }).name ?? id}`, r.error);
    }
  }
}
