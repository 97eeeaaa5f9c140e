// Placeholder until the module lands (owned by its DA work item).
import type { Command } from 'commander';

export function registerDaEigenda(_parent: Command): void {}
