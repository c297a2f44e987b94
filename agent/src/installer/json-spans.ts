/**
 * A JSON parser that remembers where each value sits in the text, so the installer can edit one
 * element of a conflist and leave every other byte of the file as it was.
 */
import { PodeipError } from '../../../lib/errors.js';

export class JsonSyntaxError extends PodeipError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super('InvalidJson', message);
  }
}

interface SpanBase {
  start: number;
  end: number;
}
export interface ObjectSpan extends SpanBase {
  kind: 'object';
  members: { key: string; value: JsonSpan }[];
}
export interface ArraySpan extends SpanBase {
  kind: 'array';
  items: JsonSpan[];
}
export interface ScalarSpan extends SpanBase {
  kind: 'scalar';
}
export type JsonSpan = ObjectSpan | ArraySpan | ScalarSpan;

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class Parser {
  private at = 0;
  constructor(private readonly text: string) {}

  document(): JsonSpan {
    const value = this.value();
    this.skipWhitespace();
    if (this.at !== this.text.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private fail(message: string): never {
    const line = this.text.slice(0, this.at).split('\n').length;
    throw new JsonSyntaxError(`${message} at line ${line} (offset ${this.at})`, this.at);
  }

  private skipWhitespace(): void {
    while (this.at < this.text.length && WHITESPACE.has(this.text[this.at]!)) this.at += 1;
  }

  private expect(char: string): void {
    this.skipWhitespace();
    if (this.text[this.at] !== char) this.fail(`expected "${char}"`);
    this.at += 1;
  }

  private match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.at;
    const found = pattern.exec(this.text);
    if (!found) return undefined;
    this.at += found[0].length;
    return found[0];
  }

  private value(): JsonSpan {
    this.skipWhitespace();
    const start = this.at;
    const char = this.text[this.at];
    if (char === '{') return this.object(start);
    if (char === '[') return this.array(start);
    if (char === '"') {
      if (this.match(STRING) === undefined) this.fail('invalid string');
    } else if (this.text.startsWith('true', start) || this.text.startsWith('null', start)) {
      this.at += 4;
    } else if (this.text.startsWith('false', start)) {
      this.at += 5;
    } else if (this.match(NUMBER) === undefined) {
      this.fail('expected a JSON value');
    }
    return { kind: 'scalar', start, end: this.at };
  }

  private object(start: number): ObjectSpan {
    this.at += 1;
    const members: ObjectSpan['members'] = [];
    this.skipWhitespace();
    if (this.text[this.at] === '}') {
      this.at += 1;
      return { kind: 'object', start, end: this.at, members };
    }
    for (;;) {
      this.skipWhitespace();
      const key = this.match(STRING);
      if (key === undefined) this.fail('expected a string key');
      this.expect(':');
      members.push({ key: JSON.parse(key) as string, value: this.value() });
      this.skipWhitespace();
      if (this.text[this.at] === ',') {
        this.at += 1;
        continue;
      }
      this.expect('}');
      return { kind: 'object', start, end: this.at, members };
    }
  }

  private array(start: number): ArraySpan {
    this.at += 1;
    const items: JsonSpan[] = [];
    this.skipWhitespace();
    if (this.text[this.at] === ']') {
      this.at += 1;
      return { kind: 'array', start, end: this.at, items };
    }
    for (;;) {
      items.push(this.value());
      this.skipWhitespace();
      if (this.text[this.at] === ',') {
        this.at += 1;
        continue;
      }
      this.expect(']');
      return { kind: 'array', start, end: this.at, items };
    }
  }
}

export function parseWithSpans(text: string): JsonSpan {
  return new Parser(text).document();
}

export function member(object: ObjectSpan, key: string): JsonSpan | undefined {
  return object.members.find((entry) => entry.key === key)?.value;
}

export function textOf(text: string, span: JsonSpan): string {
  return text.slice(span.start, span.end);
}
