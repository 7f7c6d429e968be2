/**
 * The fleet keys this node's last good desired state was derived from, kept in the state dir
 * (fleet-copy.json, mode 0600): an agent restarted while etcd is away starts from them rather
 * than refusing, so nothing applied is torn down. Only what derives the state is kept (its own
 * document, networks, members, public keys); other nodes' status, claims and rotation requests are not.
 */
import type { StateDir } from '../state';
import type { FleetLayout } from './layout';

const DOCUMENT = 'fleet-copy.json';

interface KeptCopyDocument {
  node: string;
  prefix: string;
  revision: number;
  savedAtMs: number;
  kvs: Record<string, string>;
}

export interface KeptCopy {
  readonly revision: number;
  readonly savedAtMs: number;
  readonly kvs: ReadonlyMap<string, string>;
  /** Where it is kept, for messages. */
  readonly path: string;
}

export class FleetCopyKeeper {
  private savedRevision = -1;

  constructor(
    private readonly stateDir: StateDir,
    private readonly layout: FleetLayout,
    private readonly node: string,
  ) {}

  /** The copy kept by an earlier run of this node under this prefix, if any. */
  read(): KeptCopy | undefined {
    const doc = this.stateDir.readDocument<KeptCopyDocument>(DOCUMENT);
    if (!doc || doc.node !== this.node || doc.prefix !== this.layout.prefix || typeof doc.kvs !== 'object')
      return undefined;
    return {
      revision: doc.revision,
      savedAtMs: doc.savedAtMs,
      kvs: new Map(Object.entries(doc.kvs)),
      path: this.stateDir.documentPath(DOCUMENT),
    };
  }

  /** Keeps the keys of `kvs` that derive the desired state, unless this revision is kept already. */
  save(revision: number, kvs: ReadonlyMap<string, string>): void {
    if (revision === this.savedRevision) return;
    const kept: Record<string, string> = {};
    for (const [key, value] of kvs) if (this.derivesState(key)) kept[key] = value;
    const doc: KeptCopyDocument = {
      node: this.node,
      prefix: this.layout.prefix,
      revision,
      savedAtMs: Date.now(),
      kvs: kept,
    };
    this.stateDir.writeDocument(DOCUMENT, doc);
    this.savedRevision = revision;
  }

  private derivesState(key: string): boolean {
    const k = this.layout.parse(key);
    if (k?.kind === 'desired') return k.node === this.node;
    return k?.kind === 'network' || k?.kind === 'member' || k?.kind === 'public';
  }
}
