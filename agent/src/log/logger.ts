/**
 * Structured JSON logs on stdout (one object per line), as a DaemonSet's log collector expects.
 * Collaborators receive a Logger in their constructor; `child` adds fixed fields (pod, action).
 */
import winston from 'winston';
import type { LogFields, Logger } from '../../../lib/logger.js';

export type { LogFields, Logger } from '../../../lib/logger.js';
export { silentLogger } from '../../../lib/logger.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

class WinstonLogger implements Logger {
  constructor(private readonly inner: winston.Logger) {}
  debug(message: string, fields?: LogFields): void {
    this.inner.debug(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.inner.info(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.inner.warn(message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.inner.error(message, fields);
  }
  child(fields: LogFields): Logger {
    return new WinstonLogger(this.inner.child(fields));
  }
}

export function createLogger(
  options: { level?: LogLevel; stream?: NodeJS.WritableStream; fields?: LogFields } = {},
): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return new WinstonLogger(
    winston.createLogger({
      level: options.level ?? 'info',
      format: winston.format.combine(
        winston.format.timestamp(),
        winston.format.errors({ stack: true }),
        winston.format.json(),
      ),
      defaultMeta: options.fields,
      transports: [transport],
    }),
  );
}
