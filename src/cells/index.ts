/**
 * Registers the built-in cell kinds. A new kind (profile, chart, train…) adds its definition file
 * beside these and one line here, plus its view in src/ui/cells/views.ts.
 */
import { registerCellKind } from '../core/cells/registry.ts';
import { auditCell } from './audit.ts';
import { chartCell } from './chart.ts';
import { evaluateCell } from './evaluate.ts';
import { markdownCell } from './markdown.ts';
import { monitorCell } from './monitor.ts';
import { predictCell } from './predict.ts';
import { profileCell } from './profile.ts';
import { sourceCell } from './source.ts';
import { sqlCell } from './sql.ts';
import { tableCell } from './table.ts';
import { trainCell } from './train.ts';

let done = false;
export function registerBuiltinCells(): void {
  if (done) return;
  done = true;
  registerCellKind(markdownCell);
  registerCellKind(sourceCell);
  registerCellKind(sqlCell);
  registerCellKind(tableCell);
  registerCellKind(profileCell);
  registerCellKind(chartCell);
  registerCellKind(trainCell);
  registerCellKind(evaluateCell);
  registerCellKind(predictCell);
  registerCellKind(monitorCell);
  registerCellKind(auditCell);
}
