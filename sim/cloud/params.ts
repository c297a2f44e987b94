import { invalidParameter, missingParameter } from './errors.js';

export interface TagPair {
  key: string;
  value: string;
}

/** Typed, validating access to one request's flat parameters (`Tag.1.Key`, `ResourceId.2`, …). */
export class Params {
  constructor(readonly raw: Record<string, string>) {}

  optional(name: string): string | undefined {
    const value = this.raw[name];
    return value === undefined || value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw missingParameter(name);
    return value;
  }

  int(name: string, range: { min: number; max: number }): number | undefined {
    const text = this.optional(name);
    if (text === undefined) return undefined;
    if (!/^-?\d+$/.test(text)) throw invalidParameter(name, `"${text}" is not an integer`);
    const n = Number(text);
    if (n < range.min || n > range.max) throw invalidParameter(name, `${n} is outside ${range.min}-${range.max}`);
    return n;
  }

  enumOf<T extends string>(name: string, values: readonly T[], options: { ignoreCase?: boolean } = {}): T | undefined {
    const text = this.optional(name);
    if (text === undefined) return undefined;
    const found = values.find((v) => (options.ignoreCase ? v.toLowerCase() === text.toLowerCase() : v === text));
    if (!found) throw invalidParameter(name, `"${text}" is not one of ${values.join(', ')}`);
    return found;
  }

  bool(name: string): boolean | undefined {
    const text = this.optional(name);
    if (text === undefined) return undefined;
    if (text !== 'true' && text !== 'false') throw invalidParameter(name, `"${text}" is not true or false`);
    return text === 'true';
  }

  /** `Name.1 … Name.N`, 1-based and contiguous as the SDK sends them. */
  list(name: string, max: number): string[] {
    const values: string[] = [];
    for (const index of this.indices(name, '', max)) values.push(this.raw[`${name}.${index}`] ?? '');
    return values;
  }

  /** A comma-separated list such as DescribeEipAddresses' AllocationId. */
  commaList(name: string, max: number): string[] | undefined {
    const text = this.optional(name);
    if (text === undefined) return undefined;
    const items = text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length > max) throw invalidParameter(name, `${items.length} values given, at most ${max} are allowed`);
    return items;
  }

  /** `Tag.N.Key` / `Tag.N.Value` pairs. */
  tags(max = 20, name = 'Tag'): Array<{ key: string | undefined; value: string | undefined; field: string }> {
    return this.indices(name, '.Key', max, '.Value').map((i) => ({
      key: this.raw[`${name}.${i}.Key`],
      value: this.raw[`${name}.${i}.Value`],
      field: `${name}.${i}`,
    }));
  }

  private indices(name: string, suffix: string, max: number, altSuffix?: string): number[] {
    const pattern = new RegExp(`^${name.replace(/\./g, '\\.')}\\.(\\d+)(\\.Key|\\.Value)?$`);
    const found = new Set<number>();
    for (const key of Object.keys(this.raw)) {
      const match = pattern.exec(key);
      if (!match) continue;
      const part = match[2] ?? '';
      if (part !== suffix && part !== (altSuffix ?? suffix)) continue;
      const index = Number(match[1]);
      if (index < 1 || index > max)
        throw invalidParameter(`${name}.${match[1]}`, `${name}.N allows N from 1 to ${max}`);
      found.add(index);
    }
    return [...found].sort((a, b) => a - b);
  }
}
