/**
 * Watches one file for changes, debounced. Watches the directory, not the file: editors and
 * config-management tools replace files by rename, which ends a watch on the old inode.
 */
import { watch, FSWatcher, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export class FileWatcher {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private lastSignature: string;

  constructor(
    private readonly file: string,
    private readonly debounceMs: number,
    private readonly onChange: () => void,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.file = resolve(file);
    this.lastSignature = this.signature();
  }

  start(): void {
    const name = basename(this.file);
    this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
      // Some platforms give no file name; then any change in the directory counts.
      if (changed && changed.toString() !== name) return;
      this.schedule();
    });
    this.watcher.on('error', (err) => this.onError(err));
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A touch without a content change (same size and mtime) would reconcile for nothing.
      const sig = this.signature();
      if (sig === this.lastSignature) return;
      this.lastSignature = sig;
      this.onChange();
    }, this.debounceMs);
  }

  private signature(): string {
    try {
      const st = statSync(this.file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }
}
