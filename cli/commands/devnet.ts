// `hyperion-verify devnet`: a local Hyperion devnet on one machine: anvil as L1 with the dispute
// contracts, a MetisVM sequencer, a batcher posting blobs (or EigenDA certificates through the
// devnet's own memstore proxy), a proposer (optionally faulty) and
// the watch daemon in challenge mode, which derives the L2 chain from L1 alone and disputes
// every wrong output root. Events go to the log as they happen; the summary to stdout.
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { runScenario } from '../../devnet/scenario.js';
import { loadEigenDASrs } from '../../challenger/daemon.js';
import { EigenDASrsError, type G1Srs } from '../../da/eigenda/index.js';
import type { DevnetSummary } from '../../devnet/runner.js';
import { contextOf } from '../context.js';
import { parseNonNegativeInt } from '../options.js';
import { CheckFailedError, UsageError } from '../errors.js';

interface DevnetOpts {
  faultyProposer?: boolean;
  blocks: number;
  exitWhenResolved?: boolean;
  summary?: string;
  dataDir?: string;
  seed: number;
  proposalInterval: number;
  maxRounds?: number;
  da: 'blobs' | 'eigenda';
  eigendaSrs?: string;
  inferenceLie?: boolean;
}

/** The summary the scenario runner reads (the per-game list stays in the log). */
export function summaryDocument(s: DevnetSummary): Record<string, number> {
  return {
    gamesCreated: s.gamesCreated,
    invalidRoots: s.invalidRoots,
    invalidCountered: s.invalidCountered,
    validRoots: s.validRoots,
    validUntouched: s.validUntouched,
    honestWins: s.honestWins,
    honestLosses: s.honestLosses,
  };
}

export function registerDevnetCommand(program: Command): void {
  program
    .command('devnet')
    .description('a local Hyperion devnet: anvil L1 with the dispute contracts, a MetisVM sequencer, a blob batcher, a proposer and the challenge daemon')
    .option('--faulty-proposer', 'every second proposal is wrong: one instruction of the block executed wrongly, defended in the game')
    .option('--inference-lie', 'with --faulty-proposer: the chain runs the inference precompile (the devnet MLP), every block calls it, and the lies are inference outputs claimed wrongly in the L1 inference game; the watcher must win through the inference bisection')
    .option('--blocks <n>', 'L2 blocks to build', parseNonNegativeInt, 8)
    .option('--exit-when-resolved', 'stop once every game is resolved')
    .option('--summary <file>', 'write {"gamesCreated","invalidRoots","invalidCountered","validRoots","validUntouched","honestWins","honestLosses"} as JSON')
    .option('--data-dir <dir>', 'keep the sequencer, the watcher (L2 state, journal) and rollup.json here (default: a temporary directory)')
    .option('--seed <n>', 'load and lie seed', parseNonNegativeInt, 1)
    .option('--proposal-interval <k>', 'a game every K L2 blocks', parseNonNegativeInt, 4)
    .option('--max-rounds <n>', 'give up after N rounds', parseNonNegativeInt)
    .addOption(new Option('--da <layer>', 'blobs: EIP-4844 blob transactions; eigenda: each channel dispersed through a local EigenDA memstore proxy, its certificate as inbox calldata').choices(['blobs', 'eigenda']).default('blobs'))
    .option('--eigenda-srs <path>', 'with --da eigenda: the EigenDA G1 SRS file (gnark-compressed points) the proxy commits with and the watcher checks with')
    .action(async (opts: DevnetOpts, cmd: Command) => {
      const { log } = contextOf(cmd);
      if (opts.blocks < 1) throw new UsageError('--blocks must be at least 1');
      if (opts.inferenceLie === true && opts.faultyProposer !== true) throw new UsageError('--inference-lie needs --faulty-proposer (it is a way of lying)');
      if (opts.proposalInterval < 1) throw new UsageError('--proposal-interval must be at least 1');
      if (opts.da === 'eigenda' && opts.eigendaSrs === undefined) throw new UsageError('--da eigenda needs --eigenda-srs PATH (the G1 SRS its KZG commitments are made and checked with)');
      if (opts.da !== 'eigenda' && opts.eigendaSrs !== undefined) throw new UsageError('--eigenda-srs applies to --da eigenda only');
      let srs: G1Srs | undefined;
      if (opts.eigendaSrs !== undefined) {
        try {
          srs = await loadEigenDASrs(opts.eigendaSrs);
        } catch (e) {
          if (e instanceof EigenDASrsError) throw new UsageError(`--eigenda-srs: ${e.message}`);
          throw e;
        }
      }
      const summary = await runScenario({
        blocks: opts.blocks,
        faultyProposer: opts.faultyProposer === true,
        inferenceLie: opts.inferenceLie === true,
        exitWhenResolved: opts.exitWhenResolved === true,
        seed: opts.seed,
        proposalInterval: opts.proposalInterval,
        da: opts.da,
        ...(opts.eigendaSrs === undefined ? {} : { eigendaSrs: opts.eigendaSrs }),
        ...(srs === undefined ? {} : { srs }),
        ...(opts.maxRounds === undefined ? {} : { maxRounds: opts.maxRounds }),
        ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
        logger: log,
      });
      const doc = summaryDocument(summary);
      const text = JSON.stringify(doc) + '\n';
      if (opts.summary !== undefined) writeFileSync(opts.summary, text);
      process.stdout.write(text);
      for (const g of summary.games) {
        process.stdout.write(
          `game ${g.game} for L2 block ${g.l2Block}: root ${g.honest ? 'valid' : 'INVALID'}, ${g.challenged ? 'disputed' : 'undisputed'}, ${g.status}${g.honestWin ? '' : ' (wrong outcome)'}\n`,
        );
      }
      const inf = summary.inference;
      if (inf !== undefined) {
        process.stdout.write(`inference game: ${inf.claims} claims, ${inf.lies} lying (${inf.liesRefuted} refuted), ${inf.challengerWins} disputes won by the challenger, ${inf.settled} inferences settled by the watcher\n`);
        if (inf.liesRefuted < inf.lies) throw new CheckFailedError(`${inf.lies - inf.liesRefuted} lying inference claim(s) not refuted`);
      }
      if (summary.honestLosses > 0) throw new CheckFailedError(`${summary.honestLosses} game(s) ended against the truth`);
      if (opts.exitWhenResolved === true && summary.unresolved > 0) throw new CheckFailedError(`${summary.unresolved} game(s) still unresolved`);
    });
}
