/**
 * The plugin's log: JSON lines appended to the config's `logFile`, never stdout (stdout belongs
 * to the CNI result). Synchronous appends, so a line is on disk before the process exits.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogFields, Logger } from '../../lib/logger.js';

export class FileLogger implements Logger {
  constructor(
    private readonly path: string,
    private readonly fields: LogFields = {},
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }
  child(fields: LogFields): Logger {
    return new FileLogger(this.path, { ...this.fields, ...fields });
  }

  private write(level: string, message: string, fields?: LogFields): void {
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...this.fields, ...fields }) + '\n';
    try {
      appendFileSync(this.path, line);
    } catch {
      // A log must never fail the pod's network setup: make the directory once, then give up.
      try {
        mkdirSync(dirname(this.path), { recursive: true });
        appendFileSync(this.path, line);
      } catch {
        /* unwritable log file: the CNI result still goes out */
      }
    }
  }
}
