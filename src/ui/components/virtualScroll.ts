/**
 * Geometry of the virtualised table: which rows are visible for a scroll position, and where to draw
 * them. Pure; unit-tested.
 *
 * Browsers cap element height (Chromium ~33.5M px, Firefox ~17.9M px), so 3,000,000 rows × 28 px
 * cannot be laid out 1:1. Above `MAX_SCROLL_PX` the scrollable spacer is capped and the scroll
 * position is mapped proportionally onto a "virtual" offset in row space: scrollTop 0 is the first
 * row, the maximum scrollTop shows the last row at the bottom. Below the cap the mapping is the
 * identity, so native scrolling is pixel-exact.
 */

/** Spacer height above which scroll positions are scaled. Well below every browser's limit. */
export const MAX_SCROLL_PX = 8_000_000;

export interface Geometry {
  rowCount: number;
  rowHeight: number;
  /** Height of the visible body (viewport client height minus the sticky header). */
  bodyHeight: number;
}

/** Height of the scrollable spacer. */
export function spacerHeight(g: Geometry): number {
  return Math.min(g.rowCount * g.rowHeight, MAX_SCROLL_PX);
}

/** Whether scroll positions are scaled (spacer capped). */
export function isScaled(g: Geometry): boolean {
  return g.rowCount * g.rowHeight > MAX_SCROLL_PX;
}

/** Largest virtual offset: the whole table minus one body height. */
export function maxVirtualTop(g: Geometry): number {
  return Math.max(0, g.rowCount * g.rowHeight - g.bodyHeight);
}

function maxScrollTop(g: Geometry): number {
  return Math.max(0, spacerHeight(g) - g.bodyHeight);
}

/** Virtual offset (px in row space) for a native scrollTop. */
export function virtualFromScroll(scrollTop: number, g: Geometry): number {
  const ms = maxScrollTop(g);
  if (ms <= 0) return 0;
  if (!isScaled(g)) return Math.min(Math.max(0, scrollTop), ms);
  const f = Math.min(1, Math.max(0, scrollTop / ms));
  return f * maxVirtualTop(g);
}

/** Native scrollTop for a virtual offset (inverse of `virtualFromScroll`). */
export function scrollFromVirtual(virtualTop: number, g: Geometry): number {
  const mv = maxVirtualTop(g);
  if (mv <= 0) return 0;
  const v = Math.min(Math.max(0, virtualTop), mv);
  if (!isScaled(g)) return v;
  return (v / mv) * maxScrollTop(g);
}

export interface RowWindow {
  /** First row (partly) visible. */
  first: number;
  /** Last row (partly) visible, inclusive; -1 for an empty table. */
  last: number;
  /** First rendered row (with overscan). */
  start: number;
  /** One past the last rendered row (with overscan). */
  end: number;
  /** Where to place row `start`, in spacer coordinates. */
  top: number;
}

/**
 * Rows to render for a virtual offset. `scrollTop` is the native position (rows are drawn relative
 * to it so that they sit in the viewport even when the spacer is capped).
 */
export function rowWindow(virtualTop: number, scrollTop: number, g: Geometry, overscan = 6): RowWindow {
  if (g.rowCount <= 0) return { first: 0, last: -1, start: 0, end: 0, top: 0 };
  const vt = Math.min(Math.max(0, virtualTop), maxVirtualTop(g));
  const first = Math.min(g.rowCount - 1, Math.floor(vt / g.rowHeight));
  const last = Math.min(g.rowCount - 1, Math.max(first, Math.ceil((vt + g.bodyHeight) / g.rowHeight) - 1));
  const start = Math.max(0, first - overscan);
  const end = Math.min(g.rowCount, last + 1 + overscan);
  // Unscaled: scrollTop === vt, so top === start * rowHeight (plain absolute layout).
  const top = scrollTop + (start * g.rowHeight - vt);
  return { first, last, start, end, top };
}
