/**
 * Browser-only settings of the audit cell's language-model judge (IndexedDB `settings`):
 * - the API key, per endpoint URL: never in the notebook, so never in an export, a share link or the
 *   autosaved document;
 * - the endpoints this browser's user has agreed to send item titles to. A URL typed into the cell here
 *   is agreed by typing it; a URL that arrived with a notebook (share link, import, another browser's
 *   autosave) is not, and the cell asks once, showing the URL, before the first request.
 */
import { getSetting, setSetting } from '../storage/notebookStore.ts';

const KEY_PREFIX = 'audit.llm.key:';
const ALLOWED = 'audit.llm.allowedEndpoints';

/** The URL as the settings key: trimmed, without trailing slashes. */
export function endpointKey(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

export async function getApiKey(url: string): Promise<string | undefined> {
  const k = await getSetting<string>(KEY_PREFIX + endpointKey(url));
  return typeof k === 'string' && k ? k : undefined;
}

/** Store (or, with '', forget) the key for `url` in this browser. */
export async function setApiKey(url: string, key: string): Promise<void> {
  await setSetting(KEY_PREFIX + endpointKey(url), key.trim() || undefined);
}

export async function isEndpointAllowed(url: string): Promise<boolean> {
  const list = (await getSetting<string[]>(ALLOWED)) ?? [];
  return list.includes(endpointKey(url));
}

export async function allowEndpoint(url: string): Promise<void> {
  const key = endpointKey(url);
  if (!key) return;
  const list = (await getSetting<string[]>(ALLOWED)) ?? [];
  if (!list.includes(key)) await setSetting(ALLOWED, [...list, key]);
}

/** The cell shows the URL and a button to allow it (errorCode `needs-consent`). */
export class NeedsEndpointConsentError extends Error {
  // The same code as a data source's URL consent: the cell frame then leaves the message to the view.
  readonly code = 'needs-consent';
  constructor(readonly url: string) {
    super(
      `This notebook's language-model judge sends item titles and categories to ${url}. Nothing is sent until you allow it.`,
    );
  }
}
