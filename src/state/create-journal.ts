/**
 * Interfaces being created, recorded in the state directory before the create is sent and cleared
 * once the interface carries vppwg's tag: one that a crash or a Ctrl-C left untagged is then still
 * recognisable as vppwg's on the next run (VPP has no other place that says who made it).
 */
import { StateDirError, type StateDir } from './state-dir';

/** What identifies the interface once created: VPP reports these back; the instance only when the file chose it. */
export interface CreateRecord {
  readonly name: string;
  readonly instance?: number;
  readonly listenPort: number;
  readonly source: string;
}

const DOCUMENT = 'creating-interfaces.json';

function isRecord(v: unknown): v is CreateRecord {
  const r = v as CreateRecord;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.name === 'string' &&
    (r.instance === undefined || typeof r.instance === 'number') &&
    typeof r.listenPort === 'number' &&
    typeof r.source === 'string'
  );
}

export class CreateJournal {
  constructor(readonly dir: StateDir) {}

  /** The creates begun and not confirmed; a damaged document is an error naming it. */
  read(): CreateRecord[] {
    const doc = this.dir.readDocument<{ creating?: unknown }>(DOCUMENT);
    if (doc === undefined) return [];
    const list = doc.creating;
    if (!Array.isArray(list) || !list.every(isRecord))
      throw new StateDirError(
        `${this.dir.documentPath(DOCUMENT)} is not a list of interfaces being created: delete it (an interface a crash left untagged then needs its tag set by hand)`,
      );
    return list;
  }

  /** Before the create is sent. */
  begin(record: CreateRecord): void {
    this.write([...this.read().filter((r) => r.name !== record.name), record]);
  }

  /** Once the interface carries vppwg's tag (or was deleted again). */
  end(name: string): void {
    const list = this.read();
    if (list.some((r) => r.name === name)) this.write(list.filter((r) => r.name !== name));
  }

  /** After a run that left VPP as desired: whatever is recorded is either tagged now or gone. */
  clear(): void {
    if (this.read().length) this.write([]);
  }

  private write(list: readonly CreateRecord[]): void {
    this.dir.writeDocument(DOCUMENT, { creating: list });
  }
}
