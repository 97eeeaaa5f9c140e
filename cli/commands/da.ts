// `hyperion-verify da ...`: fetch and verify data-availability payloads.
import type { Command } from 'commander';
import { registerDaFetch } from './da-fetch.js';
import { registerDaEigenda } from './da-eigenda.js';

export function registerDaCommand(program: Command): void {
  const da = program.command('da').description('fetch and verify batch data: EIP-4844 blobs and EigenDA blobs');
  registerDaFetch(da);
  registerDaEigenda(da);
}
