// What every command receives from the root program: its logger.
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { createLogger, type LogFormat } from './log.js';
import type { LevelWithSilent } from 'pino';

export interface CommandContext {
  readonly log: Logger;
}

/** Builds the context from the root program's global options (resolved at action time). */
export function contextOf(cmd: Command): CommandContext {
  const root = rootOf(cmd);
  const opts = root.opts<{ logFormat: LogFormat; logLevel: LevelWithSilent }>();
  return { log: createLogger({ format: opts.logFormat, level: opts.logLevel }) };
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}
