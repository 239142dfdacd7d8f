/** Short messages in the corner: file errors, "link copied", and so on. Errors stay until closed. */
export interface Toast {
  id: number;
  kind: 'info' | 'error';
  title: string;
  detail?: string;
}

let next = 1;
export const toasts = $state<Toast[]>([]);

export function toast(kind: Toast['kind'], title: string, detail?: string): void {
  const t = { id: next++, kind, title, detail };
  toasts.push(t);
  if (kind === 'info') setTimeout(() => dismiss(t.id), 4000);
}

export function dismiss(id: number): void {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}
