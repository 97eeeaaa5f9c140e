// `hyperion-verify demo`: the embedded default job. Until the watcher and the
// devnet exist it demonstrates what is built: MetisVM running workloads written
// in raw bytecode, checked for their expected results, with gas and Mgas/s.
import type { Command } from 'commander';
import { runCode } from '../../vm/run-code.js';
import { hexToBytes, bytesToHex } from '../../vm/util/bytes.js';
import { contextOf } from '../context.js';
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
      process.stdout.write('hyperion-verify demo: MetisVM (the watcher devnet is not built yet; this shows the VM)\n\n');
      let failures = 0;
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
      if (failures > 0) throw new CheckFailedError(`${failures} workload(s) returned a wrong result`);
      process.stdout.write('\nall workloads returned their expected results\n');
    });
}
