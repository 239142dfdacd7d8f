/**
 * Cell kind → the Svelte component that edits and shows it. The pure definitions live in src/cells/;
 * a new kind adds one line here. Unknown kinds get a read-only fallback so a notebook from a newer
 * Benchtop still opens.
 */
import type { Component } from 'svelte';
import type { CellRunState } from '../../automation.ts';
import type { CellDoc } from '../../core/notebook/types.ts';
import MarkdownView from './MarkdownView.svelte';
import SourceView from './SourceView.svelte';
import SqlView from './SqlView.svelte';
import TableCellView from './TableCellView.svelte';
import UnknownView from './UnknownView.svelte';

export interface CellViewProps {
  cell: CellDoc;
  run: CellRunState | undefined;
}

type View = Component<CellViewProps>;

/** The core kinds, in the main bundle. */
const views: Record<string, View> = {
  markdown: MarkdownView,
  source: SourceView,
  sql: SqlView,
  table: TableCellView,
};

/**
 * Heavier kinds (Observable Plot, training and evaluation UI) load with their first cell, so the
 * page's first paint stays small (bench: initial JS payload < 400 kB gzip).
 */
const lazyViews: Record<string, () => Promise<{ default: View }>> = {
  profile: () => import('./ProfileView.svelte'),
  chart: () => import('./ChartView.svelte'),
  train: () => import('./TrainView.svelte'),
  evaluate: () => import('./EvaluateView.svelte'),
  predict: () => import('./PredictView.svelte'),
  monitor: () => import('./MonitorView.svelte'),
  audit: () => import('./AuditView.svelte'),
};

const loaded = new Map<string, Promise<View>>();

/** The view for a kind: a component, or a promise of one for lazily loaded kinds. */
export function cellView(kind: string): View | Promise<View> {
  const eager = views[kind];
  if (eager) return eager;
  const lazy = lazyViews[kind];
  if (!lazy) return UnknownView;
  let p = loaded.get(kind);
  if (!p) {
    p = lazy().then((m) => m.default);
    loaded.set(kind, p);
  }
  return p;
}
