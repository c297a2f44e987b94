/**
 * Base of every error podeip raises on purpose. `code` is stable and machine-readable (logs,
 * metrics labels, CNI error messages); `message` is for people and names the field and the fix.
 */
export class PodeipError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
