import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { SimConfigError } from './errors.js';

/** Validates `value` against `schema`; the error names every bad field and where it came from. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, source: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    return `  ${field || '(top level)'}: ${issue.message}`;
  });
  throw new SimConfigError(`${source} is invalid:\n${problems.join('\n')}`);
}

/** Reads a JSON file for a flag, with an error naming the flag and the file. */
export function readJsonFile(path: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new SimConfigError(`${flag} ${path}: cannot read the file (${(cause as Error).message})`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new SimConfigError(`${flag} ${path}: not valid JSON (${(cause as Error).message})`, { cause });
  }
}
