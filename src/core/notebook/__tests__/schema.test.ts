import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  generateNotebookSchema,
  SCHEMA_PATH,
  schemaFileIsCurrent,
} from '../../../../tools/gen-notebook-schema.ts';
import {
  CELL_ID_PATTERN,
  dataRefSchema,
  formatPath,
  type Migration,
  migrate,
  newCellId,
  newNotebookId,
  notebookJsonSchema,
  parseNotebook,
} from '../schema.ts';
import type { NotebookDoc } from '../types.ts';

const valid = (): NotebookDoc => ({
  format: 'benchtop-notebook',
  version: 1,
  id: '0b6f3c1e-8a43-4c59-9d1e-1f2a3b4c5d6e',
  title: 'Orders by state',
  createdAt: '2024-05-01T12:00:00.000Z',
  updatedAt: '2024-05-02T08:30:00+02:00',
  cells: [
    { id: 'a1b2c3d4', kind: 'markdown', config: { source: '# Orders' } },
    {
      id: 'e5f6g7h8',
      kind: 'source',
      config: { name: 'orders', ref: { type: 'bundled', id: 'olist-orders' } },
      collapsed: true,
    },
    { id: 'i9j0k1l2', kind: 'sql', config: { name: 'by_state', sql: 'SELECT 1' } },
  ],
});

/** The message of the error `fn` throws. */
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('parseNotebook', () => {
  it('returns a valid document unchanged', () => {
    const doc = valid();
    expect(parseNotebook(structuredClone(doc))).toEqual(doc);
  });

  it('accepts an empty notebook and any cell kind (kinds are checked by the registry)', () => {
    const doc = { ...valid(), cells: [{ id: 'x', kind: 'future-kind', config: {} }] };
    expect(parseNotebook(doc).cells[0]!.kind).toBe('future-kind');
    expect(parseNotebook({ ...valid(), cells: [] }).cells).toEqual([]);
  });

  it('drops unknown fields instead of failing (readers ignore additions)', () => {
    const doc = { ...valid(), extra: 1, cells: [{ ...valid().cells[0]!, extra: true }] };
    const parsed = parseNotebook(doc);
    expect(parsed).toEqual({ ...valid(), cells: [valid().cells[0]] });
    expect('extra' in parsed).toBe(false);
  });

  it('keeps everything inside configs, which belong to the cell kinds', () => {
    const config = { name: 'x', nested: { deep: [1, 'two', null] }, n: 3.5 };
    const doc = { ...valid(), cells: [{ id: 'c', kind: 'sql', config }] };
    expect(parseNotebook(doc).cells[0]!.config).toEqual(config);
  });

  it('refuses things that are not notebooks at all', () => {
    expect(errorOf(() => parseNotebook(null))).toBe(
      'Not a Benchtop notebook: expected a JSON object, got null',
    );
    expect(errorOf(() => parseNotebook([1]))).toBe(
      'Not a Benchtop notebook: expected a JSON object, got an array',
    );
    expect(errorOf(() => parseNotebook('x'))).toBe(
      'Not a Benchtop notebook: expected a JSON object, got "x"',
    );
    expect(errorOf(() => parseNotebook({ cells: [] }))).toBe(
      'Not a Benchtop notebook: "format" should be "benchtop-notebook", got nothing',
    );
    expect(errorOf(() => parseNotebook({ ...valid(), format: 'jupyter' }))).toBe(
      'Not a Benchtop notebook: "format" should be "benchtop-notebook", got "jupyter"',
    );
  });

  it('lists every problem with its JSON path', () => {
    const doc = {
      ...valid(),
      title: 5,
      createdAt: 'yesterday',
      cells: [
        { id: 'ok', kind: 'markdown', config: {} },
        { id: 'ok2', kind: 'markdown', config: [] },
        { id: 'ok3', kind: 'markdown', config: {}, collapsed: 'yes' },
        { id: 'ok4', kind: 7, config: {} },
        { kind: 'sql', config: {} },
        'not a cell',
      ],
    };
    expect(errorOf(() => parseNotebook(doc))).toBe(
      [
        'Not a valid Benchtop notebook (7 problems):',
        '- title: expected string, got number 5',
        '- createdAt: expected an ISO-8601 date-time such as 2024-05-01T12:00:00.000Z',
        '- cells[1].config: expected object, got an array',
        '- cells[2].collapsed: expected boolean, got "yes"',
        '- cells[3].kind: expected string, got number 7',
        '- cells[4].id: missing (expected string)',
        '- cells[5]: expected object, got "not a cell"',
      ].join('\n'),
    );
  });

  it('rejects empty kinds, unsafe cell ids and repeated cell ids', () => {
    const cells = [
      { id: '../etc', kind: 'sql', config: {} },
      { id: 'a', kind: '', config: {} },
      { id: 'b', kind: 'sql', config: {} },
      { id: 'b', kind: 'sql', config: {} },
    ];
    expect(errorOf(() => parseNotebook({ ...valid(), cells }))).toBe(
      [
        'Not a valid Benchtop notebook (3 problems):',
        '- cells[0].id: expected 1 to 64 letters, digits, "-" or "_"',
        '- cells[1].kind: must not be empty',
        '- cells[3].id: repeats the id of cells[2]',
      ].join('\n'),
    );
  });

  it('requires timestamps with a time zone', () => {
    expect(errorOf(() => parseNotebook({ ...valid(), updatedAt: '2024-05-01T12:00:00' }))).toContain(
      '- updatedAt: expected an ISO-8601 date-time',
    );
    expect(parseNotebook({ ...valid(), updatedAt: '2024-05-01T12:00:00Z' }).updatedAt).toBe(
      '2024-05-01T12:00:00Z',
    );
  });

  it('reports missing top-level fields', () => {
    const { title: _t, cells: _c, ...rest } = valid();
    expect(errorOf(() => parseNotebook(rest))).toBe(
      [
        'Not a valid Benchtop notebook (2 problems):',
        '- title: missing (expected string)',
        '- cells: missing (expected array)',
      ].join('\n'),
    );
  });

  it('caps a long list of problems', () => {
    const cells = Array.from({ length: 30 }, (_, i) => ({ id: `c${i}`, kind: 1, config: {} }));
    const msg = errorOf(() => parseNotebook({ ...valid(), cells }));
    expect(msg).toMatch(
      /^Not a valid Benchtop notebook \(30 problems\):\n- cells\[0\]\.kind: expected string/,
    );
    expect(msg.split('\n')).toHaveLength(1 + 20 + 1);
    expect(msg.endsWith('- …and 10 more')).toBe(true);
  });

  it('refuses notebooks from a newer version with a clear message', () => {
    expect(errorOf(() => parseNotebook({ ...valid(), version: 2 }))).toBe(
      'This notebook was saved by a newer version of Benchtop (format version 2); ' +
        'this version reads format versions up to 1. Update Benchtop to open it.',
    );
  });

  it('refuses versions that are not positive integers', () => {
    for (const version of [0, -1, 1.5, '1', null, undefined]) {
      expect(errorOf(() => parseNotebook({ ...valid(), version }))).toMatch(
        /^Not a valid Benchtop notebook: version: expected a positive integer, got /,
      );
    }
    expect(errorOf(() => parseNotebook({ ...valid(), version: '1' }))).toBe(
      'Not a valid Benchtop notebook: version: expected a positive integer, got "1"',
    );
  });
});

describe('migrate', () => {
  it('leaves a current document alone', () => {
    const doc = { ...valid() } as Record<string, unknown>;
    expect(migrate(doc)).toBe(doc);
  });

  it('applies each step in order and stamps the version', () => {
    const steps: Record<number, Migration> = {
      1: (d) => ({ ...d, name: d.title, log: ['1→2'] }),
      2: (d) => ({ ...d, log: [...(d.log as string[]), '2→3'] }),
    };
    expect(migrate({ version: 1, title: 't' }, steps, 3)).toEqual({
      version: 3,
      title: 't',
      name: 't',
      log: ['1→2', '2→3'],
    });
    expect(migrate({ version: 2, log: [] }, steps, 3)).toEqual({ version: 3, log: ['2→3'] });
  });

  it('fails clearly when a step is missing', () => {
    expect(() => migrate({ version: 1 }, {}, 2)).toThrow(
      'Cannot open format version 1 notebooks: no migration to version 2',
    );
  });
});

describe('dataRefSchema', () => {
  it('accepts the three variants', () => {
    const refs = [
      { type: 'bundled', id: 'seattle-weather' },
      { type: 'file', name: 'orders.csv', size: 1234, sha256: 'ab'.repeat(32) },
      { type: 'url', url: 'https://example.com/data.csv' },
    ];
    for (const ref of refs) expect(dataRefSchema.parse(ref)).toEqual(ref);
  });

  it('rejects malformed references', () => {
    expect(
      dataRefSchema.safeParse({ type: 'file', name: 'a', size: -1, sha256: 'ab'.repeat(32) }).success,
    ).toBe(false);
    expect(
      dataRefSchema.safeParse({ type: 'file', name: 'a', size: 1.5, sha256: 'ab'.repeat(32) }).success,
    ).toBe(false);
    expect(
      dataRefSchema.safeParse({ type: 'file', name: 'a', size: 1, sha256: 'AB'.repeat(32) }).success,
    ).toBe(false);
    expect(dataRefSchema.safeParse({ type: 'url', url: 'file:///etc/passwd' }).success).toBe(false);
    expect(dataRefSchema.safeParse({ type: 'url', url: 'javascript:alert(1)' }).success).toBe(false);
    expect(dataRefSchema.safeParse({ type: 'ftp', url: 'x' }).success).toBe(false);
    expect(dataRefSchema.safeParse({ type: 'bundled', id: '' }).success).toBe(false);
  });
});

describe('ids', () => {
  it('newNotebookId returns distinct UUIDs', () => {
    const a = newNotebookId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newNotebookId()).not.toBe(a);
  });

  it('newCellId returns 8 base-36 characters that pass the schema', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newCellId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-z]{8}$/);
      expect(CELL_ID_PATTERN.test(id)).toBe(true);
    }
  });

  it('newCellId uses every character of the alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, () => newCellId()).join(''));
    expect(seen.size).toBe(36);
  });

  it('newCellId avoids taken ids', () => {
    const taken = new Set(Array.from({ length: 50 }, () => newCellId()));
    for (let i = 0; i < 100; i++) expect(taken.has(newCellId(taken))).toBe(false);
  });
});

describe('formatPath', () => {
  it('writes JavaScript-like paths', () => {
    expect(formatPath([])).toBe('(document)');
    expect(formatPath(['cells', 3, 'kind'])).toBe('cells[3].kind');
    expect(formatPath(['cells', 0, 'config', 'a b'])).toBe('cells[0].config["a b"]');
  });
});

describe('docs/notebook.schema.json', () => {
  it('is what tools/gen-notebook-schema.ts generates', () => {
    const committed = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
    expect(committed).toEqual(generateNotebookSchema());
    expect(schemaFileIsCurrent()).toBe(true);
  });

  it('is draft 2020-12 and describes the document and DataRef', () => {
    const schema = notebookJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['format', 'version', 'id', 'title', 'createdAt', 'updatedAt', 'cells']);
    const defs = schema.$defs as Record<string, Record<string, unknown>>;
    expect(Object.keys(defs).sort()).toEqual(['Cell', 'DataRef']);
    expect(defs.Cell!.required).toEqual(['id', 'kind', 'config']);
    expect((defs.DataRef!.oneOf as unknown[]).length).toBe(3);
  });
});

describe('docs/notebook-format.md', () => {
  const md = readFileSync(new URL('../../../../docs/notebook-format.md', import.meta.url), 'utf8');

  it('has a complete example that parses', () => {
    const example = /## Example[\s\S]*?```json\n([\s\S]*?)\n```/.exec(md)?.[1];
    expect(example).toBeDefined();
    const doc = parseNotebook(JSON.parse(example!));
    expect(doc.cells.map((c) => c.kind)).toEqual(['markdown', 'source', 'sql', 'table']);
    expect(dataRefSchema.parse(doc.cells[1]!.config.ref)).toEqual({ type: 'bundled', id: 'seattle-weather' });
  });

  it('documents every top-level field and every DataRef variant', () => {
    for (const field of [
      'format',
      'version',
      'id',
      'title',
      'createdAt',
      'updatedAt',
      'cells',
      'collapsed',
    ]) {
      expect(md).toContain(`| \`${field}\``);
    }
    for (const variant of ['bundled', 'file', 'url']) expect(md).toContain(`{ "type": "${variant}"`);
  });
});
