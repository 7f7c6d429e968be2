/**
 * `validate --socket`: what a plan against that VPP would refuse (an uplink VPP lacks, a public key
 * a peer vppwg does not manage holds, ...) as error diagnostics, an uplink's at its line in the file.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { DesiredState, Diagnostic } from '../config';
import { Locator, toPointer } from '../config/locate';

/** Where in `file` each uplink's name is written, as line and column. */
function uplinkPlaces(file: string): Map<string, { line: number; column: number; path: string }> {
  const out = new Map<string, { line: number; column: number; path: string }>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return out; // Read a moment ago to load it; if it is gone now, the problems go without a place.
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const locator = new Locator(() => ({ doc, lines }));
  const list = (doc.toJS() as { uplinks?: unknown } | null)?.uplinks;
  if (!Array.isArray(list)) return out;
  list.forEach((u, i) => {
    const name = (u as { name?: unknown } | null)?.name;
    const path = ['uplinks', i, 'name'];
    if (typeof name === 'string' && !out.has(name)) out.set(name, { ...locator.place(path), path: toPointer(path) });
  });
  return out;
}

/**
 * One error diagnostic per problem the planner reported; a problem about an uplink of the file
 * (`uplink "NAME" ...`) points at that uplink's name.
 */
export function planProblemDiagnostics(file: string, state: DesiredState, problems: readonly string[]): Diagnostic[] {
  const places = uplinkPlaces(file);
  return problems.map((message) => {
    const uplink = state.uplinks.find((u) => message.includes(`uplink "${u.name}"`));
    const place = uplink ? places.get(uplink.name) : undefined;
    return { severity: 'error', file, line: 0, column: 0, path: '', ...place, message };
  });
}
