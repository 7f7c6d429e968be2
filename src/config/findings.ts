/** Collected diagnostics of one file, each placed at its line and column. */
import { MAX_FINDINGS } from './limits';
import { toPointer, type DataPath, type Placer } from './locate';
import type { Diagnostic } from './model';

export class Findings {
  readonly list: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  /** Paths with a schema error: semantic checks skip them to avoid saying the same thing twice. */
  readonly badPaths = new Set<string>();
  /** Those paths and all their ancestors, so "bad at or inside" is one lookup, not a scan per question. */
  private readonly badAtOrAbove = new Set<string>();

  /** Findings beyond MAX_FINDINGS: counted, not placed (placing is the costly part). */
  private omitted = 0;
  private omittedErrors = 0;

  constructor(
    readonly file: string,
    readonly locator: Placer,
  ) {}

  add(severity: 'error' | 'warning', path: DataPath, message: string, at: 'value' | 'key' = 'value'): void {
    const pointer = toPointer(path);
    const dedupe = `${severity}\0${pointer}\0${message}`;
    if (this.seen.has(dedupe)) return;
    this.seen.add(dedupe);
    if (this.list.length >= MAX_FINDINGS) {
      this.omitted++;
      if (severity === 'error') this.omittedErrors++;
      return;
    }
    const { line, column } = this.locator.place(path, at);
    this.list.push({ severity, file: this.file, line, column, path: pointer, message });
  }

  error(path: DataPath, message: string, at: 'value' | 'key' = 'value'): void {
    this.add('error', path, message, at);
  }

  warn(path: DataPath, message: string, at: 'value' | 'key' = 'value'): void {
    this.add('warning', path, message, at);
  }

  /** True when a schema error was reported at `path`. */
  isBad(path: DataPath): boolean {
    return this.badPaths.size > 0 && this.badPaths.has(toPointer(path));
  }

  /** Records a schema error at `path`. */
  markBad(path: DataPath): void {
    const pointer = toPointer(path);
    this.badPaths.add(pointer);
    // Ancestors are always added together, so the first one already present ends the walk.
    for (let p = pointer; !this.badAtOrAbove.has(p); p = p.slice(0, p.lastIndexOf('/'))) {
      this.badAtOrAbove.add(p);
      if (p === '') break;
    }
  }

  /** True when a schema error was reported at `path` or inside it. */
  badWithin(path: DataPath): boolean {
    return this.badAtOrAbove.size > 0 && this.badAtOrAbove.has(toPointer(path));
  }

  hasErrors(): boolean {
    return this.omittedErrors > 0 || this.list.some((d) => d.severity === 'error');
  }

  /** The findings, in file order, with one closing line counting those left out. */
  report(): Diagnostic[] {
    const out = [...this.list].sort((a, b) => a.line - b.line || a.column - b.column);
    if (this.omitted > 0) {
      out.push({
        severity: this.omittedErrors > 0 ? 'error' : 'warning',
        file: this.file,
        line: 0,
        column: 0,
        path: '',
        message: `… and ${this.omitted} more finding${this.omitted === 1 ? '' : 's'} (${this.omittedErrors} error${this.omittedErrors === 1 ? '' : 's'}) not shown: only the first ${MAX_FINDINGS} are reported; fix these and validate again`,
      });
    }
    return out;
  }

  lineOf(path: DataPath): number {
    return this.locator.place(path).line;
  }
}
