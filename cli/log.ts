// Logger construction for every command: JSON lines by default for machines,
// pretty output for people. Pretty printing runs in-process (no worker thread)
// so short-lived commands never lose their last lines.
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

export interface LogOptions {
  readonly format: LogFormat;
  readonly level: LevelWithSilent;
}

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function createLogger(options: LogOptions): Logger {
  // Logs go to stderr: stdout carries command results (JSON lines, reports).
  if (options.format === 'pretty') {
    const stream = pretty({ destination: 2, colorize: process.stderr.isTTY === true, sync: true });
    return pino({ level: options.level }, stream);
  }
  return pino({ level: options.level }, pino.destination({ dest: 2, sync: true }));
}
