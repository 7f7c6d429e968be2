/** The yes/no question `apply` asks on a terminal before it deletes or replaces anything. */
import { createInterface } from 'node:readline';

/**
 * Reads one line from `input`: true only for exactly "yes" (as terraform asks). End of input, or
 * `cancel` aborting (Ctrl-C at the question), is a no.
 */
export function readYes(input: NodeJS.ReadableStream, cancel?: AbortSignal): Promise<boolean> {
  const rl = createInterface({ input, terminal: false });
  return new Promise<boolean>((resolve) => {
    const stop = () => rl.close();
    cancel?.addEventListener('abort', stop, { once: true });
    rl.once('line', (line) => {
      resolve(line.trim() === 'yes');
      rl.close();
    });
    // After a line this comes too, and changes nothing: a promise settles once.
    rl.once('close', () => {
      cancel?.removeEventListener('abort', stop);
      resolve(false);
    });
    if (cancel?.aborted) stop();
  });
}
