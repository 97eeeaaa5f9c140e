// `hyperion-verify vm run|statetest`: run bytecode and Ethereum state tests on MetisVM.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { runCode, MAX_RUN_GAS } from '../../vm/run-code.js';
import { FORKS, type Fork } from '../../vm/chain/forks.js';
import { opcodeName } from '../../vm/interpreter/opcodes.js';
import { forkRules } from '../../vm/chain/forks.js';
import { bytesToHex } from '../../vm/util/bytes.js';
import { parseStateTestFile, StateTestFormatError } from '../../vm/statetest/fixture.js';
import { runStateTestCase } from '../../vm/statetest/runner.js';
import { loadKnownFailures, caseKey } from '../../vm/statetest/known-failures.js';
import { parseBigInt, parseHexBytes } from '../options.js';
import { contextOf } from '../context.js';
import { CheckFailedError, UsageError } from '../errors.js';

export function registerVmCommand(program: Command): void {
  const vm = program.command('vm').description('run bytecode and Ethereum state tests on MetisVM');

  vm.command('run')
    .description('run bytecode in a fresh state (like geth `evm run`)')
    .requiredOption('--code <hex>', 'bytecode to run', parseHexBytes)
    .option('--input <hex>', 'call data', parseHexBytes)
    .addOption(new Option('--gas <n>', 'gas for the call').argParser(parseBigInt).default(10_000_000n, '10000000'))
    .addOption(new Option('--value <wei>', 'call value').argParser(parseBigInt).default(0n, '0'))
    .addOption(new Option('--fork <fork>', 'hard fork rules').choices([...FORKS]).default('osaka'))
    .option('--json', 'print one JSON line {gasUsed, output, error}')
    .option('--trace', 'print one JSON line per executed instruction before the result')
    .action((opts: { code: Uint8Array; input?: Uint8Array; gas: bigint; value: bigint; fork: Fork; json?: boolean; trace?: boolean }) => {
      if (opts.gas > MAX_RUN_GAS) throw new UsageError(`--gas must be at most 2^52`);
      const rules = forkRules(opts.fork);
      const out = process.stdout;
      const result = runCode({
        code: opts.code,
        gas: opts.gas,
        value: opts.value,
        fork: opts.fork,
        ...(opts.input ? { input: opts.input } : {}),
        ...(opts.trace
          ? {
              onStep: (m, f, op) => {
                const stack: string[] = [];
                for (let i = 0; i < f.sp; i++) stack.push('0x' + f.stack[i]!.toString(16));
                out.write(
                  JSON.stringify({
                    depth: f.msg.depth + 1,
                    pc: f.pc,
                    op,
                    opName: opcodeName(rules, op),
                    gas: f.gas,
                    stack,
                    memSize: f.memory.size,
                    refund: f.refund,
                  }) + '\n',
                );
                void m;
              },
            }
          : {}),
      });
      const line = { gasUsed: Number(result.gasUsed), output: bytesToHex(result.output), error: result.error };
      if (opts.json || opts.trace) out.write(JSON.stringify(line) + '\n');
      else out.write(`gas used: ${line.gasUsed}\noutput:   ${line.output}\n${line.error ? `error:    ${line.error}\n` : ''}`);
    });

  vm.command('statetest')
    .description('run Ethereum GeneralStateTests fixtures; one JSON line per case and a closing `N passed, N failed`')
    .argument('<paths...>', 'fixture files or directories (searched recursively for .json)')
    .option('--known-failures <file>', 'JSON map of case keys to reasons; listed failures do not fail the run')
    .option('--fork <fork>', 'only run cases of this fork (as named in the fixture, e.g. Cancun)')
    .option('--quiet', 'print only failing cases and the summary')
    .action((paths: string[], opts: { knownFailures?: string; fork?: string; quiet?: boolean }, cmd: Command) => {
      const { log } = contextOf(cmd);
      const known = opts.knownFailures ? loadKnownFailures(opts.knownFailures) : new Map<string, string>();
      const files = collectJsonFiles(paths);
      if (files.length === 0) throw new UsageError('no .json fixture files found');
      let passed = 0;
      let failed = 0;
      let knownFailed = 0;
      let skipped = 0;
      const started = Date.now();
      for (const [i, file] of files.entries()) {
        let cases;
        try {
          cases = parseStateTestFile(JSON.parse(readFileSync(file, 'utf8')) as unknown);
        } catch (e) {
          if (e instanceof SyntaxError || e instanceof StateTestFormatError) {
            failed++;
            process.stdout.write(JSON.stringify({ name: file, pass: false, error: `unreadable fixture: ${e.message}` }) + '\n');
            continue;
          }
          throw e;
        }
        for (const c of cases) {
          if (opts.fork && c.fork.toLowerCase() !== opts.fork.toLowerCase()) continue;
          let r;
          try {
            r = runStateTestCase(c);
          } catch (e) {
            r = { name: c.name, fork: c.fork, index: c.index, pass: false, expectedRoot: c.expectedRoot, actualRoot: null, error: `crash: ${(e as Error).message}` };
          }
          if (r.skipped) {
            skipped++;
            continue;
          }
          const key = caseKey(r.name, r.fork, r.index);
          const reason = known.get(key);
          if (r.pass) passed++;
          else if (reason !== undefined) knownFailed++;
          else failed++;
          if (!opts.quiet || (!r.pass && reason === undefined)) {
            process.stdout.write(JSON.stringify({ ...r, ...(reason !== undefined && !r.pass ? { knownFailure: reason } : {}) }) + '\n');
          }
        }
        if ((i + 1) % 200 === 0) log.info({ files: i + 1, of: files.length, passed, failed }, 'statetest progress');
      }
      if (skipped > 0) log.info({ skipped }, 'cases for forks before Cancun were skipped');
      log.info({ files: files.length, passed, failed, knownFailed, skipped, seconds: (Date.now() - started) / 1000 }, 'statetest done');
      process.stdout.write(`${passed} passed, ${failed} failed${knownFailed ? `, ${knownFailed} known failures` : ''}\n`);
      if (failed > 0) throw new CheckFailedError(`${failed} state test case(s) failed`);
    });
}

function collectJsonFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`no such file or directory: ${p}`);
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(p, e));
    } else if (p.endsWith('.json')) {
      out.push(p);
    }
  };
  for (const p of paths) walk(p);
  return out;
}
