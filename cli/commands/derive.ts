// Placeholder until the derivation module lands.
import type { Command } from 'commander';

export function registerDeriveCommand(_program: Command): void {}
