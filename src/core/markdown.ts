/**
 * Markdown → sanitised HTML for markdown cells (marked with GFM, then DOMPurify).
 *
 * Needs a DOM (browser, or a window-like object such as jsdom passed as `win`); throws without one.
 *
 * Guarantees, since notebooks are shared and opened by others:
 * - no scripts, no event-handler attributes, no `javascript:`/`vbscript:` URLs, no forms, frames,
 *   embeds, SVG/MathML, `style` elements or attributes (DOMPurify's HTML profile plus a deny list);
 * - GFM task-list checkboxes render as `span.md-task` (`.md-task-done` when ticked), not inputs;
 * - links (except in-page `#fragment` links) get `target="_blank" rel="noopener noreferrer"`;
 * - no remote fetches on render: an image is kept only when its URL is a `data:image/…` URI or has
 *   the page's own origin. Any other image is replaced by the text `[remote image blocked: URL]`
 *   (in a `span.md-blocked-image`); `srcset`, `poster`, `background`, `ping`, media and `<source>`
 *   elements are removed outright, so nothing else can fetch either.
 */
import DOMPurify, { type Config, type DOMPurify as Purifier } from 'dompurify';
import { Marked } from 'marked';

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // Task-list boxes as styled spans: <input> elements are not allowed through the sanitiser.
    checkbox({ checked }) {
      return `<span class="md-task${checked ? ' md-task-done' : ''}" role="img" aria-label="${checked ? 'done' : 'to do'}"></span> `;
    },
  },
});

const BLOCKED_ATTR = 'data-bt-blocked-src';

const CONFIG: Config = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: [
    'style',
    'script',
    'iframe',
    'frame',
    'frameset',
    'object',
    'embed',
    'form',
    'input',
    'button',
    'select',
    'textarea',
    'link',
    'meta',
    'base',
    'video',
    'audio',
    'source',
    'track',
    'picture',
    'template',
  ],
  FORBID_ATTR: ['style', 'srcset', 'poster', 'background', 'ping', 'formaction', 'action', 'xlink:href'],
  ALLOW_DATA_ATTR: false,
  ADD_ATTR: ['target'],
};

const purifiers = new WeakMap<object, Purifier>();

function purifierFor(win: Window & typeof globalThis): Purifier {
  let p = purifiers.get(win);
  if (p) return p;
  p = DOMPurify(win);
  const origin = win.location?.origin ?? '';
  const base = win.location?.href ?? 'http://invalid/';
  p.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element;
    const tag = el.tagName?.toUpperCase();
    if (tag === 'A' && el.hasAttribute('href')) {
      const href = el.getAttribute('href') ?? '';
      if (!href.startsWith('#')) {
        el.setAttribute('target', '_blank');
        el.setAttribute('rel', 'noopener noreferrer');
      } else {
        el.removeAttribute('target');
      }
    } else if (tag === 'A') {
      el.removeAttribute('target');
    } else if (el.hasAttribute?.('target')) {
      el.removeAttribute('target');
    }
    if (tag === 'IMG') {
      const src = (el.getAttribute('src') ?? '').trim();
      if (src && !imageAllowed(src, origin, base)) {
        el.removeAttribute('src');
        el.setAttribute(BLOCKED_ATTR, src);
      }
    }
  });
  purifiers.set(win, p);
  return p;
}

function imageAllowed(src: string, origin: string, base: string): boolean {
  if (/^data:image\//i.test(src)) return true;
  try {
    const u = new URL(src, base);
    return (
      (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'blob:') && u.origin === origin
    );
  } catch {
    return false;
  }
}

/** Render markdown to sanitised HTML. `win` defaults to the global window. */
export function renderMarkdown(src: string, win?: Window & typeof globalThis): string {
  const w = win ?? (typeof window !== 'undefined' ? window : undefined);
  if (!w?.document) throw new Error('renderMarkdown needs a DOM (window) to sanitise HTML');
  const html = marked.parse(src, { async: false });
  const purify = purifierFor(w);
  // BLOCKED_ATTR is ours, set after attribute filtering, so ALLOW_DATA_ATTR: false does not drop it.
  const clean = purify.sanitize(html, CONFIG);
  if (!clean.includes(BLOCKED_ATTR)) return clean;
  // Swap blocked images for text. A <template>'s content is inert, and the images have no src anyway.
  const tpl = w.document.createElement('template');
  tpl.innerHTML = clean;
  for (const img of Array.from(tpl.content.querySelectorAll(`img[${BLOCKED_ATTR}]`))) {
    const span = w.document.createElement('span');
    span.className = 'md-blocked-image';
    span.textContent = `[remote image blocked: ${img.getAttribute(BLOCKED_ATTR)}]`;
    img.replaceWith(span);
  }
  return tpl.innerHTML;
}
