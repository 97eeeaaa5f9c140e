// The root `hyperion-verify` program. Each job registers its command from its
// own module under cli/commands/; this file only wires them and the global flags.
import { Command, Option } from 'commander';
import { LOG_LEVELS } from './log.js';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('hyperion-verify')
    .description('Fraud-proof and verification toolkit for Metis Hyperion: replay, DA checks, dispute games, the watcher')
    .version('0.1.0')
    .addOption(new Option('--log-format <format>', 'log output format').choices(['json', 'pretty']).default('pretty'))
    .addOption(new Option('--log-level <level>', 'minimum log level').choices([...LOG_LEVELS]).default('info'))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerCommands(program);
  // Sub-commands inherit the root's exit behaviour so that bad input surfaces as one line.
  for (const c of allCommands(program)) c.exitOverride().showHelpAfterError(false);
  return program;
}

function allCommands(cmd: Command): Command[] {
  const out: Command[] = [];
  for (const c of cmd.commands) out.push(c, ...allCommands(c));
  return out;
}
