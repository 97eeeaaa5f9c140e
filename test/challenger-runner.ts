// Child process of test/challenger-restart.test.ts: an honest Challenger ticking forever over a
// data dir until it is killed. Arguments: RPC URL, private key, factory address, data dir.
// Each tick prints one JSON line with the purposes it got mined.
import { pino } from 'pino';
import type { Address, Hex } from 'viem';
import { Challenger } from '../challenger/challenger.js';
import { challengerMetrics } from '../challenger/metrics.js';
import { l1Clients } from '../contracts/deploy.js';
import { honestAccessorFor } from './challenger-support.js';

const [rpcUrl, key, factory, dataDir] = process.argv.slice(2);
if (rpcUrl === undefined || key === undefined || factory === undefined || dataDir === undefined) {
  process.stderr.write('usage: challenger-runner RPC_URL PRIVATE_KEY FACTORY DATA_DIR\n');
  process.exit(2);
}
const l1 = l1Clients(rpcUrl, key as Hex, { pollingIntervalMs: 20 });
const challenger = await Challenger.create({
  l1,
  factory: factory as Address,
  accessorFor: honestAccessorFor(),
  claimants: [],
  dataDir,
  logger: pino({ level: 'info' }, pino.destination(2)),
  metrics: challengerMetrics(),
  txmgr: { pollIntervalMs: 20 },
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for (let n = 0; ; n++) {
  const tick = await challenger.tick().catch((e: unknown) => {
    process.stderr.write(`tick failed: ${String(e)}\n`);
    return null;
  });
  if (tick !== null) process.stdout.write(`${JSON.stringify({ tick: n, sent: tick.games.flatMap((g) => g.sent) })}\n`);
  await new Promise((r) => setTimeout(r, 30));
}
