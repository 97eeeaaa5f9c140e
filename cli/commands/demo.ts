// `hyperion-verify demo`: the embedded default job. Until the watcher and the
// devnet exist it demonstrates what is built: an auditor's stateless replay of a
// local anvil chain under a varied load, then MetisVM on raw-bytecode workloads
// checked for their expected results, with gas and Mgas/s.
import type { Command } from 'commander';
import { runCode } from '../../vm/run-code.js';
import { hexToBytes, bytesToHex } from '../../vm/util/bytes.js';
import { contextOf } from '../context.js';
import type { Logger } from 'pino';
import { startAnvil } from '../anvil.js';
import { sendVariedLoad } from '../devnet/load.js';
import { replayBlock } from '../../vm/replay/replay.js';
import { createRpcReplaySource } from '../../vm/replay/rpc-source.js';
import { anvilRules } from '../../vm/chain/chain.js';
import { CheckFailedError } from '../errors.js';

interface Workload {
  readonly name: string;
  readonly code: string;
  /** Expected 32-byte return value as hex, derived by hand from the program. */
  readonly expect: string;
}

const word = (n: bigint): string => '0x' + n.toString(16).padStart(64, '0');

// Sum of 0..99999: a tight loop of arithmetic, comparisons and jumps.
// Stack [i, s]: loop { s += i; i += 1 } while i < 100000; return s.
const ARITH = '5f5f' + '5b' + '8181' + '01' + '91' + '50' + '600101' + '80620186a0' + '11' + '6002' + '57' + '50' + '5f52' + '60205ff3';
// keccak256 chain: h = keccak(h) 20000 times, starting from zero memory.
const KECCAK = '614e20' + '5b' + '60205f20' + '5f52' + '6001900380' + '6003' + '57' + '50' + '60205ff3';
// Storage: write slot i = i for i in 1..500, then return slot 500.
const STORAGE = '6001' + '5b' + '8080' + '55' + '6001' + '01' + '806101f5' + '11' + '6002' + '57' + '50' + '6101f454' + '5f52' + '60205ff3';

function sumTo(n: bigint): bigint {
  return (n * (n - 1n)) / 2n;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the embedded default: today a MetisVM demo (the devnet with a winning watcher replaces it when it lands)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { log } = contextOf(cmd);
      const { keccak_256 } = await import('@noble/hashes/sha3.js');
      let h: Uint8Array = new Uint8Array(32);
      for (let i = 0; i < 20000; i++) h = keccak_256(h);
      const workloads: Workload[] = [
        { name: 'arithmetic loop (sum 0..99999)', code: ARITH, expect: word(sumTo(100000n)) },
        { name: 'keccak chain (20000 hashes)', code: KECCAK, expect: bytesToHex(h) },
        { name: 'storage writes (500 slots)', code: STORAGE, expect: word(500n) },
      ];
      process.stdout.write('hyperion-verify demo (the watcher devnet is not built yet; this shows stateless replay and MetisVM)\n\n');
      let failures = await replayDemo(log);
      process.stdout.write('\nMetisVM on raw-bytecode workloads:\n');
      for (const w of workloads) {
        const started = process.hrtime.bigint();
        const r = runCode({ code: hexToBytes(w.code), gas: 100_000_000n });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const out = bytesToHex(r.output);
        const ok = r.error === null && out === w.expect;
        if (!ok) failures++;
        const mgas = Number(r.gasUsed) / 1e6 / seconds;
        process.stdout.write(
          `${ok ? 'ok  ' : 'FAIL'} ${w.name.padEnd(34)} gas ${String(r.gasUsed).padStart(10)}  ${mgas.toFixed(1).padStart(7)} Mgas/s\n`,
        );
        log.debug({ workload: w.name, gasUsed: Number(r.gasUsed), seconds, output: out, error: r.error }, 'workload');
      }
      if (failures > 0) throw new CheckFailedError(`${failures} demo check(s) failed`);
      process.stdout.write('\nevery block verified and every workload returned its expected result\n');
    });
}

/** Starts anvil, sends a varied load, and replays every block statelessly from it. Returns the failures. */
async function replayDemo(log: Logger): Promise<number> {
  process.stdout.write('starting a local anvil (osaka) and sending a varied load...\n');
  const node = await startAnvil({ hardfork: 'osaka' });
  try {
    const load = await sendVariedLoad(node.rpcUrl, node.privateKeys, { fork: 'osaka' });
    log.info({ rpc: node.rpcUrl, from: Number(load.fromBlock), to: Number(load.toBlock), txs: load.txHashes.length }, 'load sent');
    const source = createRpcReplaySource(node.rpcUrl);
    const chain = anvilRules('osaka', 31337n);
    process.stdout.write(`replaying blocks ${load.fromBlock < 2n ? 2n : load.fromBlock}..${load.toBlock} statelessly (trusting only each parent state root):\n`);
    let failures = 0;
    let gas = 0n;
    let ms = 0;
    // anvil's genesis header carries the empty trie root, so block 1 cannot be proven.
    for (let n = load.fromBlock < 2n ? 2n : load.fromBlock; n <= load.toBlock; n++) {
      const v = await replayBlock(source, chain, n, { checkParent: false });
      gas += v.gasUsed;
      ms += v.executionMs;
      if (!v.verified) failures++;
      const mgas = v.executionMs > 0 ? Number(v.gasUsed) / 1e3 / v.executionMs : 0;
      process.stdout.write(
        `  block ${String(n).padStart(3)}  ${v.verified ? 'verified' : 'MISMATCH'}  ${String(v.transactions).padStart(2)} txs  ${String(v.gasUsed).padStart(9)} gas  ${mgas.toFixed(1).padStart(7)} Mgas/s${v.mismatch ? `  ${v.mismatch}` : ''}\n`,
      );
    }
    process.stdout.write(`replay: ${failures === 0 ? 'all blocks verified' : `${failures} block(s) failed`}, ${(Number(gas) / 1e3 / Math.max(ms, 1e-9)).toFixed(1)} Mgas/s of execution\n`);
    return failures;
  } finally {
    await node.stop();
  }
}
