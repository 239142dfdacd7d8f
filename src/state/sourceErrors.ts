/**
 * Errors a data source raises when it cannot load without the user: the cell shows a drop zone or a
 * consent button instead of a plain error message.
 */
export class NeedsFileError extends Error {
  readonly code = 'needs-file';
  constructor(
    readonly expected: { name: string; size: number; sha256: string },
    message?: string,
  ) {
    super(
      message ??
        `Drop ${expected.name} (${expected.size.toLocaleString('en-US')} bytes) to load this table: the notebook refers to it, but this browser does not have it.`,
    );
  }
}

export class NeedsConsentError extends Error {
  readonly code = 'needs-consent';
  constructor(readonly url: string) {
    super(`This cell loads data from ${url}. Nothing is fetched until you allow it.`);
  }
}
