/**
 * Writes docs/notebook.schema.json from the zod schema in src/core/notebook/schema.ts:
 *
 *   npx tsx tools/gen-notebook-schema.ts          # write the file
 *   npx tsx tools/gen-notebook-schema.ts --check  # exit 1 if the committed file is out of date
 *
 * The zod schema is the source of truth; the JSON file exists for editors and other tools. A unit
 * test (src/core/notebook/__tests__/schema.test.ts) fails when the two drift apart.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { notebookJsonSchema } from '../src/core/notebook/schema.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_PATH = join(root, 'docs', 'notebook.schema.json');

/** The schema object the script writes. */
export function generateNotebookSchema(): Record<string, unknown> {
  return notebookJsonSchema();
}

/** Whether the file on disk describes the same schema (compared as JSON, so formatting may differ). */
export function schemaFileIsCurrent(path: string = SCHEMA_PATH): boolean {
  if (!existsSync(path)) return false;
  return isDeepStrictEqual(JSON.parse(readFileSync(path, 'utf8')), generateNotebookSchema());
}

function main(): void {
  if (process.argv.includes('--check')) {
    if (schemaFileIsCurrent()) return;
    console.error(`${SCHEMA_PATH} is out of date: run npx tsx tools/gen-notebook-schema.ts`);
    process.exit(1);
  }
  writeFileSync(SCHEMA_PATH, `${JSON.stringify(generateNotebookSchema(), null, 2)}\n`);
  // Let Biome lay the file out as `biome check` expects, so linting the repository stays clean.
  const biome = join(root, 'node_modules', '.bin', 'biome');
  if (existsSync(biome)) spawnSync(biome, ['format', '--write', SCHEMA_PATH], { cwd: root, stdio: 'ignore' });
  console.log(`Wrote ${SCHEMA_PATH}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
