/** The span parser the installer edits conflists with agrees with JSON.parse on every value. */
import test from 'ava';
import { JsonSyntaxError, parseWithSpans, textOf, type JsonSpan } from '../../../agent/src/installer/json-spans.js';

const DOCUMENTS = [
  '{}',
  '[]',
  ' \n\t{ "a" : [ 1 , -2.5e+3, 0, true, false, null ] }\n',
  '{"s":"quote \\" backslash \\\\ slash \\/ unicode \\u00e9 \\n","nested":{"deeper":[{"x":[[]]}]}}',
  '[{"type":"bridge","ipam":{"ranges":[[{"subnet":"10.0.0.0/24"}]]}},{"type":"podeip"}]',
  '"just a string"',
  '12',
  '{"dup":1,"dup":2}',
];

/** Every span's text parses to the value JSON.parse finds at the same place. */
function checkSpans(text: string, span: JsonSpan, value: unknown, t: import('ava').ExecutionContext): void {
  t.deepEqual(JSON.parse(textOf(text, span)), value);
  if (span.kind === 'array')
    span.items.forEach((item, index) => checkSpans(text, item, (value as unknown[])[index], t));
  if (span.kind === 'object') {
    t.deepEqual([...new Set(span.members.map((m) => m.key))], Object.keys(value as object));
    for (const m of span.members) {
      const last = span.members.filter((other) => other.key === m.key).at(-1);
      if (last === m) checkSpans(text, m.value, (value as Record<string, unknown>)[m.key], t);
    }
  }
}

for (const [index, text] of DOCUMENTS.entries()) {
  test(`document #${index}: spans agree with JSON.parse`, (t) => {
    checkSpans(text, parseWithSpans(text), JSON.parse(text), t);
  });
}

const INVALID = ['', '{', '{"a" 1}', '[1,]', '{"a":1,}', '[01]', '"\\x"', '{"a":1} x', '[tru]', '"tab\there"'];

for (const text of INVALID) {
  test(`invalid ${JSON.stringify(text)} is refused like JSON.parse refuses it`, (t) => {
    t.throws(() => JSON.parse(text));
    t.throws(() => parseWithSpans(text), { instanceOf: JsonSyntaxError });
  });
}
