// One module per job; each adds its command (and sub-commands) to the root program.
import type { Command } from 'commander';
import { registerVmCommand } from './vm.js';
import { registerDaCommand } from './da.js';
import { registerDeriveCommand } from './derive.js';
import { registerDemoCommand } from './demo.js';
import { registerReplayCommand } from './replay.js';
import { registerGameCommand } from './game.js';
import { registerTraceCommand } from './trace.js';
import { registerWatchCommand } from './watch.js';
import { registerAiCommand } from './ai.js';
import { registerDevnetCommand } from './devnet.js';

export function registerCommands(program: Command): void {
  registerVmCommand(program);
  registerDaCommand(program);
  registerDeriveCommand(program);
  registerReplayCommand(program);
  registerGameCommand(program);
  registerTraceCommand(program);
  registerWatchCommand(program);
  registerAiCommand(program);
  registerDevnetCommand(program);
  registerDemoCommand(program);
}
