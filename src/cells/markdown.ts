/** Markdown cell: prose between the code. Rendered with marked and sanitised with DOMPurify. */
import type { CellKindDef } from '../core/cells/types.ts';
import { renderMarkdown } from '../core/markdown.ts';

export interface MarkdownConfig extends Record<string, unknown> {
  source: string;
}

export const markdownCell: CellKindDef<MarkdownConfig> = {
  kind: 'markdown',
  title: 'Markdown',
  description: 'Notes, headings and links between cells',
  create: () => ({ source: '## Notes\n\nWrite *markdown* here.' }),
  parse(config) {
    const c = config as Partial<MarkdownConfig> | null;
    if (!c || typeof c.source !== 'string') throw new Error('markdown cell: "source" must be a string');
    return { source: c.source };
  },
  outputs: () => [],
  inputs: () => [],
  async run(config) {
    return { html: renderMarkdown(config.source) };
  },
};
