/**
 * The logging interface every part takes in its constructor: the agent's JSON logger
 * (agent/src/log/logger.ts) and the plugin's file logger implement it. No implementation here
 * loads a logging library, so the plugin can import it.
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** For tests, tools and plugin configs without `logFile`: writes nothing. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
