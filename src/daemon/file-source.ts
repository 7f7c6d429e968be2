/**
 * The desired state from a file (`serve --config`): loaded and validated on demand, watched
 * (debounced, see FileWatcher) so an edit is picked up without a SIGHUP.
 */
import { resolve } from 'node:path';
import { loadDesiredState } from '../config';
import type { DesiredSnapshot, DesiredSource } from './desired-source';
import { FileWatcher } from './watcher';

export class FileDesiredSource implements DesiredSource {
  readonly path: string;
  readonly description: string;
  private watcher?: FileWatcher;

  constructor(
    path: string,
    private readonly debounceMs = 500,
    /** Told when the directory cannot be watched: edits then need a SIGHUP. */
    private readonly onWatchError: (err: Error) => void = () => undefined,
  ) {
    this.path = resolve(path);
    this.description = `file ${this.path}`;
  }

  start(changed: () => void): Promise<void> {
    this.watcher = new FileWatcher(this.path, this.debounceMs, changed, this.onWatchError);
    this.watcher.start();
    return Promise.resolve();
  }

  load(capabilities?: { presharedKeys: boolean }): Promise<DesiredSnapshot> {
    return Promise.resolve(loadDesiredState(this.path, capabilities ? { capabilities } : {}));
  }

  stop(): Promise<void> {
    this.watcher?.stop();
    this.watcher = undefined;
    return Promise.resolve();
  }
}
