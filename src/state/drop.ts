/**
 * Files dropped or picked by the user. Each is size-checked before it is read (a 2 GB file never
 * enters memory), stored in the browser, and becomes a source cell that runs at once. A file that
 * fails gets a message naming it; the notebook and the other files are unaffected.
 */
import { checkFileSize } from '../../workers/ingest/precheck.ts';
import { notebook } from './notebook.svelte.ts';
import { toast } from './toasts.svelte.ts';

export async function dropFiles(files: File[]): Promise<void> {
  const runs: Promise<void>[] = [];
  for (const file of files) {
    try {
      checkFileSize(file.name, file.size);
      const bytes = new Uint8Array(await file.arrayBuffer());
      const { cellId } = await notebook.addFile(file.name, bytes, { addCell: true });
      if (cellId) runs.push(notebook.runCell(cellId));
    } catch (e) {
      toast('error', `Could not add ${file.name}`, (e as Error).message);
    }
  }
  await Promise.all(runs);
  // A failed ingest leaves its cell with the error in place; say it in a toast too, since the
  // cell may be off screen after a multi-file drop.
  for (const c of notebook.doc.cells) {
    const r = notebook.runs[c.id];
    if (
      c.kind === 'source' &&
      r?.status === 'error' &&
      files.some((f) => (c.config.ref as { name?: string }).name === f.name)
    ) {
      toast('error', `Could not load ${(c.config.ref as { name: string }).name}`, r.error);
    }
  }
}
