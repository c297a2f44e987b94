/** What a caught value says, for a log line or a message: its `message` if it has one, else its string form. */
export function errorText(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string')
    return err.message;
  return String(err);
}
