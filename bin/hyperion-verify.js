#!/usr/bin/env node
// The CLI is compiled by `npm install` (the package's prepare script) into dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('hyperion-verify: not built yet; run `npm install` (or `npm run build`) in the package first\n');
  process.exit(2);
}
await import(entry.href);
