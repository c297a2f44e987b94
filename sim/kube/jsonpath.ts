/**
 * The JSONPath subset CRD additionalPrinterColumns use: `.a.b`, `.a[0]`, `.a[*]` and
 * `.a[?(@.type=="Ready")]`. Returns the first match, undefined when there is none.
 */
export function firstMatch(root: unknown, path: string): unknown {
  const tokens = tokenize(path);
  let current: unknown[] = [root];
  for (const token of tokens) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || value === undefined) continue;
      if (token.kind === 'field') {
        if (typeof value === 'object' && !Array.isArray(value))
          next.push((value as Record<string, unknown>)[token.name]);
      } else if (Array.isArray(value)) {
        if (token.kind === 'index') next.push(value[token.index < 0 ? value.length + token.index : token.index]);
        else if (token.kind === 'all') next.push(...value);
        else
          next.push(
            ...value.filter(
              (e) => e && typeof e === 'object' && String((e as Record<string, unknown>)[token.field]) === token.equals,
            ),
          );
      }
    }
    current = next.filter((v) => v !== undefined);
  }
  return current[0];
}

type Token =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; field: string; equals: string };

function tokenize(path: string): Token[] {
  const text = path
    .trim()
    .replace(/^\{|\}$/g, '')
    .replace(/^\$/, '');
  const tokens: Token[] = [];
  const re =
    /\.([A-Za-z0-9_-]+)|\[(-?\d+)\]|\[\*\]|\[\?\(@\.([A-Za-z0-9_-]+)\s*==\s*["']([^"']*)["']\)\]|\['([^']+)'\]/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[1] !== undefined) tokens.push({ kind: 'field', name: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: 'index', index: Number(m[2]) });
    else if (m[3] !== undefined) tokens.push({ kind: 'filter', field: m[3], equals: m[4]! });
    else if (m[5] !== undefined) tokens.push({ kind: 'field', name: m[5] });
    else tokens.push({ kind: 'all' });
    if (re.lastIndex === text.length) break;
  }
  return tokens;
}
