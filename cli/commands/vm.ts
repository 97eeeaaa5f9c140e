// `hyperion-verify vm ...`: run bytecode and conformance tests on MetisVM.
import type { Command } from 'commander';

export function registerVmCommand(program: Command): void {
  program.command('vm').description('run bytecode and Ethereum state tests on MetisVM');
}
