/**
 * The bundled datasets (datasets/manifest.json): real data from the vega-datasets npm package,
 * copied into the build by vite.config.ts and fetched from the app's own origin.
 */
import manifest from '../../../datasets/manifest.json';
import type { FileFormat } from '../../../workers/data.api.ts';

export interface BundledDataset {
  id: string;
  title: string;
  file: string;
  format: FileFormat;
  rows: number;
  description: string;
}

export const bundledDatasets: readonly BundledDataset[] = manifest.datasets as BundledDataset[];

export function bundledDataset(id: string): BundledDataset {
  const d = bundledDatasets.find((x) => x.id === id);
  if (!d) {
    throw new Error(
      `Unknown bundled dataset "${id}" (available: ${bundledDatasets.map((x) => x.id).join(', ')})`,
    );
  }
  return d;
}
