/**
 * Regression: sorting a table in the app showed shimmer forever. The sort spec is Svelte $state (a
 * Proxy); passed as is to the worker, postMessage cannot clone it and the page request fails.
 * makeDataPager must hand the worker a plain, structured-clonable request.
 */
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { PageRequest, QueryResult } from '../../../../workers/data.api.ts';
import { makeDataPager } from '../arrowRows.ts';

describe('makeDataPager', () => {
  it('sends a structured-clonable orderBy even when given a Proxy', async () => {
    const seen: PageRequest[] = [];
    const data = {
      async page(req: PageRequest): Promise<QueryResult> {
        seen.push(structuredClone(req)); // what postMessage does; throws DataCloneError on a Proxy
        const arrow = tableToIPC(tableFromArrays({ x: Float64Array.from([3, 2, 1]) }), 'stream');
        return { arrow, columns: [{ name: 'x', type: 'DOUBLE' }], rowCount: 3, ms: 0 };
      },
    };
    const pager = makeDataPager(data, { name: 't', columns: [{ name: 'x', type: 'DOUBLE' }], rowCount: 3 });
    const sort = new Proxy({ column: 'x', desc: true }, {});
    expect(() => structuredClone(sort)).toThrow();
    const rows = await pager.page(0, 3, sort);
    expect(rows).toEqual([[3], [2], [1]]);
    expect(seen).toEqual([{ table: 't', offset: 0, limit: 3, orderBy: { column: 'x', desc: true } }]);
  });
});
