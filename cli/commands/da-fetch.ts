// Placeholder until the module lands (owned by its DA work item).
import type { Command } from 'commander';

export function registerDaFetch(_parent: Command): void {}
