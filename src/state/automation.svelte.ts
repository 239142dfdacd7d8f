/** Installs `window.benchtop` (see src/automation.ts): the same state and worker the UI uses. */
import type { BenchtopAutomation } from '../automation.ts';
import { getData } from '../core/data/dataClient.ts';
import { parseNotebook } from '../core/notebook/schema.ts';
import { notebook } from './notebook.svelte.ts';

export function installAutomation(): void {
  const api: BenchtopAutomation = {
    data: getData(),
    async ready() {
      await getData().init();
      while (!notebook.doc) await new Promise((r) => setTimeout(r, 20));
    },
    notebook: () => $state.snapshot(notebook.doc),
    async openNotebook(doc) {
      notebook.open(parseNotebook(doc), { trusted: false });
      await notebook.flush();
    },
    async provideFile(name, bytes) {
      await notebook.addFile(name, bytes, { addCell: false });
    },
    async runAll() {
      await notebook.runAll();
      return $state.snapshot(notebook.runs);
    },
    states: () => $state.snapshot(notebook.runs),
    exportCsv: (table) => getData().exportCsv(table),
  };
  window.benchtop = api;
}
