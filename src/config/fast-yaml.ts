/**
 * The fast path for large YAML files. js-yaml reads a 10,000-peer file about ten times faster than
 * `yaml`, whose parser keeps every node's position (which only placing a finding needs). The two
 * parsers disagree at the edges of YAML (tabs, empty or complex keys, document markers, tags,
 * anchors, comments glued to a quote), so js-yaml reads a file only when every line is a plain
 * block line of the kind below; anything else, and anything js-yaml refuses, goes to `yaml` as
 * before. Findings still get their line and column from `yaml`, parsed only when there is one.
 */
import { CORE_SCHEMA, load } from 'js-yaml';

// A plain scalar: words of safe characters separated by single spaces. A word does not start with
// an indicator (`-` only before a digit, no `@`) and does not end with `:` (that would be a key).
const WORD = String.raw`(?:[A-Za-z0-9_./+=]|-[0-9])(?:[A-Za-z0-9_./@+=:-]*[A-Za-z0-9_./@+=-])?`;
const PLAIN = String.raw`${WORD}(?: ${WORD})*`;
// Quoted scalars without control characters; double quotes with the common escapes only.
const DOUBLE = String.raw`"(?:[^"\\\x00-\x1f\x7f\u0085\u2028\u2029\ufeff]|\\["\\/bfnrt])*"`;
const SINGLE = String.raw`'(?:[^'\x00-\x1f\x7f\u0085\u2028\u2029\ufeff]|'')*'`;
// Flow collections on one line, nested up to three deep, of words or quoted scalars:
// [10.0.0.0/24, 2001:db8::/64], { address: 198.51.100.2, port: 51820 }, [{ name: eth0 }].
// A flow word has no `@`, no spaces and no `:` at its end.
const FLOW_WORD = String.raw`(?:[A-Za-z0-9_./+=]|-[0-9])(?:[A-Za-z0-9_./+=:-]*[A-Za-z0-9_./+=-])?`;
const ELEMENT = `(?:${FLOW_WORD}|${DOUBLE}|${SINGLE})`;
function flow(depth: number): string {
  const inner = depth === 1 ? ELEMENT : `(?:${ELEMENT}|${flow(depth - 1)})`;
  const pair = `[A-Za-z_][A-Za-z0-9_]*: ${inner}`;
  return String.raw`(?:\[ ?(?:${inner}(?:, ${inner})*)? ?\]|\{ ?(?:${pair}(?:, ${pair})*)? ?\})`;
}
const FLOW = flow(3);
const VALUE = `(?:${PLAIN}|${DOUBLE}|${SINGLE}|${FLOW})`;
const KEY = '[A-Za-z_][A-Za-z0-9_]*';
const COMMENT = '(?: +#.*)?';

/** `key:`, `key: value`, or a sequence entry `- value` / `- key: value`, indented with spaces. */
const CONTENT_LINE = new RegExp(String.raw`^ *(?:(?:- )*${KEY}:(?: ${VALUE})?|(?:- )+${VALUE})${COMMENT}\r?$`);
const BLANK_OR_COMMENT = /^ *(?:#.*)?\r?$/;
const DOCUMENT_START = /^---(?: +#.*)?\r?$/;

/** Whether every line of `text` is a blank, comment or plain block line (a first `---` allowed). */
export function isPlainBlockYaml(text: string): boolean {
  let content = 0;
  let start = 0;
  for (let n = 0; start <= text.length; n++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (BLANK_OR_COMMENT.test(line)) continue;
    if (content === 0 && DOCUMENT_START.test(line)) {
      content++;
      continue;
    }
    if (!CONTENT_LINE.test(line)) return false;
    content++;
  }
  return content > 0;
}

/** The data of a plain block YAML file, or undefined: then read it with `yaml` (and its positions). */
export function parsePlainBlockYaml(text: string): unknown {
  if (!isPlainBlockYaml(text)) return undefined;
  try {
    return load(text, { schema: CORE_SCHEMA });
  } catch {
    // Duplicate keys, bad indentation...: `yaml` reports them with their place.
    return undefined;
  }
}
