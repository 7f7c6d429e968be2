/**
 * User text repeated in a message, kept short: a name of 5,000 characters or a value the size of
 * the file must not flood the terminal or the daemon's log.
 */

/** Characters of user text a message repeats before cutting it with '…'. */
export const ECHO_LIMIT = 60;

/** `text` (or a number, as text) cut to ECHO_LIMIT characters with '…' when longer. */
export function echo(text: string | number): string {
  const s = String(text);
  if (s.length <= ECHO_LIMIT) return s;
  // Cut on a code point, not inside a surrogate pair.
  return (
    Array.from(s.slice(0, ECHO_LIMIT + 1))
      .slice(0, ECHO_LIMIT)
      .join('') + '…'
  );
}

/** A parsed value as JSON text, cut like `echo`. */
export function echoValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(echo(value));
  return echo(JSON.stringify(value) ?? String(value));
}
