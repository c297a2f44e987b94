/**
 * One way for every podeip command to read its flags and describe them: `--help` (stdout, exit 0)
 * is generated from the same table the parser uses, so every flag is described; a mistyped flag
 * is named with the closest real one.
 */
import { parseArgs } from 'node:util';
import { PodeipError } from './errors.js';
import { closest } from './did-you-mean.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: string;
  /** The value's placeholder in the help, e.g. "PATH". */
  value?: string;
  help: string;
}

export interface CommandSpec {
  /** As typed, e.g. "podeip-sim kube". */
  command: string;
  /** Positional part of the usage line, e.g. "[status]" or "FILE". */
  args?: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Text after the flags: environment, where to read more. */
  footer?: string;
}

export class CliUsageError extends PodeipError {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super('CliUsage', `${message} (${command} --help describes every flag)`);
  }
}

const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', help: 'print this help and exit' };

export function helpText(spec: CommandSpec): string {
  const flags = { ...spec.flags, help: HELP_FLAG };
  const names = Object.entries(flags).map(
    ([name, flag]) =>
      `${flag.short ? `-${flag.short}, ` : '    '}--${name}${flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : ''}`,
  );
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const lines = Object.values(flags).map(
    (flag, i) =>
      `  ${names[i]!.padEnd(width)}${flag.help}${flag.default !== undefined && flag.default !== '' ? ` (default ${flag.default})` : ''}`,
  );
  return [
    `usage: ${spec.command} [flags]${spec.args ? ` ${spec.args}` : ''}`,
    '',
    spec.summary.trimEnd(),
    '',
    'flags:',
    ...lines,
    ...(spec.footer ? ['', spec.footer.trimEnd()] : []),
    '',
  ].join('\n');
}

export interface ParsedCommandLine {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

/** Parses argv against the spec; a bad flag throws CliUsageError naming it (and the closest real one). */
export function parseCommandLine(
  spec: CommandSpec,
  argv: string[],
  options: { positionals?: boolean } = {},
): ParsedCommandLine {
  const flags = { ...spec.flags, help: HELP_FLAG };
  const parserOptions = Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => [
      name,
      {
        type: flag.type,
        ...(flag.short ? { short: flag.short } : {}),
        ...(flag.default !== undefined && flag.type === 'string' ? { default: flag.default } : {}),
      },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: parserOptions,
      allowPositionals: options.positionals ?? false,
      strict: true,
    });
    return { values: values, positionals, help: values.help === true };
  } catch (err) {
    throw new CliUsageError(spec.command, explain(err as Error & { code?: string }, flags));
  }
}

function explain(err: Error & { code?: string }, flags: Record<string, FlagSpec>): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = quoted.split('=')[0]!;
    const known = Object.entries(flags).flatMap(([name, f]) => [`--${name}`, ...(f.short ? [`-${f.short}`] : [])]);
    const suggestion = closest(
      flag,
      known.filter((k) => k.startsWith('--')),
    );
    return `unknown flag ${flag}${suggestion ? `; did you mean ${suggestion}?` : ''}`;
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
    return flags[flag.slice(2)]?.type === 'boolean' ? `${flag} takes no value` : `${flag} needs a value`;
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument "${quoted}"`;
  return err.message;
}

/** For a command's main: help to stdout (exit 0) or a usage error to stderr (exit 2). */
export function exitWithUsageError(err: CliUsageError): never {
  process.stderr.write(`${err.command}: ${err.message}\n`);
  process.exit(2);
}
