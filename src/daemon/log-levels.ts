/** The levels `--log-level` and VPPWG_LOG_LEVEL take (winston's npm levels the daemon uses). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The level named by `text`, or an error naming where it came from and the valid ones: winston
 * given an unknown level writes nothing at all, which would leave the daemon silent.
 */
export function parseLogLevel(text: string, where: string): LogLevel {
  const level = text.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`${where} ${JSON.stringify(text)} is not a log level: use one of ${LOG_LEVELS.join(', ')}`);
}
