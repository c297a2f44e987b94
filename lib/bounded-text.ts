/**
 * User-supplied text inside podeip's messages, kept short. An annotation value may be 250 KB;
 * echoed whole into a gRPC status it exceeds the HTTP/2 header limit of the trailers, and the
 * plugin never hears the answer (it times out with "try again later" instead of naming the bad
 * annotation). Messages name the field and quote only the start of a long value.
 */

/** A value quoted for a message: whole when short, else its start and its length. */
export function quoted(value: string, max = 64): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}... (${value.length} characters)`;
}

/** The longest message podeip passes on (gRPC status details, a CNI error's msg and details). */
export const MAX_MESSAGE_CHARS = 4096;

/** `text` cut to `max` characters, saying how much was cut. */
export function clamp(text: string, max = MAX_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  const note = ` ... (cut: ${text.length} characters in all)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}
