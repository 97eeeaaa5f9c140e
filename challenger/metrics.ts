// The watcher's Prometheus metrics (prom-client), on a registry of its own: no hidden globals.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';

export interface WatcherMetrics {
  readonly registry: Registry;
  readonly l1Head: Gauge;
  readonly l2VerifiedHead: Gauge;
  readonly gamesSeen: Counter;
  readonly gamesInvalid: Counter;
  readonly gamesValid: Counter;
  readonly gamesUnverifiable: Counter;
  readonly errors: Counter<'kind'>;
  readonly replaySeconds: Counter;
}

export function watcherMetrics(): WatcherMetrics {
  const registry = new Registry();
  const g = (name: string, help: string): Gauge => new Gauge({ name, help, registers: [registry] });
  const c = (name: string, help: string): Counter => new Counter({ name, help, registers: [registry] });
  return {
    registry,
    l1Head: g('hyperion_watch_l1_head', 'latest L1 block the watcher has seen'),
    l2VerifiedHead: g('hyperion_watch_l2_verified_head', 'highest L2 block whose output root the watcher verified'),
    gamesSeen: c('hyperion_watch_games_seen_total', 'dispute games checked'),
    gamesInvalid: c('hyperion_watch_games_invalid_root_total', 'games whose root claim is not the verified output root'),
    gamesValid: c('hyperion_watch_games_valid_root_total', 'games whose root claim is the verified output root'),
    gamesUnverifiable: c('hyperion_watch_games_unverifiable_total', 'games whose L2 block could not be verified'),
    errors: new Counter({ name: 'hyperion_watch_errors_total', help: 'errors by kind (retried)', labelNames: ['kind'], registers: [registry] }),
    replaySeconds: c('hyperion_watch_replay_seconds_total', 'seconds spent re-executing L2 blocks'),
  };
}

/** The challenge mode's metrics; pass the watcher's registry to serve both on one endpoint. */
export interface ChallengerMetrics {
  readonly registry: Registry;
  readonly l1Head: Gauge;
  readonly gamesSeen: Counter;
  readonly gamesInProgress: Gauge;
  readonly gamesWon: Counter;
  readonly gamesLost: Counter;
  readonly movesSent: Counter<'type'>;
  readonly movesRejected: Counter<'type'>;
  /** Wei our claimants have posted in games not yet resolved. */
  readonly bondsAtStake: Gauge;
  /** Wei of credit claimed. */
  readonly bondsClaimed: Counter;
  readonly errors: Counter<'kind'>;
  /** The challenge daemon's own L2 chain: derived and re-executed head, blocks derived, L1 reorgs followed, traces built. */
  readonly l2VerifiedHead: Gauge;
  readonly l2BlocksDerived: Counter;
  readonly l1Reorgs: Counter;
  readonly tracesBuilt: Counter;
  readonly traceSteps: Counter;
  /** Replay speed: gas and seconds of L2 blocks re-executed (rate(gas) / rate(seconds) = gas/s). */
  readonly replayGas: Counter;
  readonly replaySeconds: Counter;
  /** L1 blocks whose batcher data could not be fetched (retried), by source: beacon, eigenda, l1. */
  readonly daFetchErrors: Counter<'source'>;
  /** Batcher data dropped for good (invalid blob, data not matching its certificate, wrong sender), by source. */
  readonly daPayloadsSkipped: Counter<'source'>;
  /** The L1 inference game: inferences being settled, settled right, lost (another output became final), calls mined. */
  readonly inferencesPending: Gauge;
  readonly inferencesSettled: Counter;
  readonly inferencesLost: Counter;
  readonly inferenceCalls: Counter;
  /** The newest derived block whose L1 inputs commitment was checked. */
  readonly inputsCheckedHead: Gauge;
  readonly inputsMismatches: Counter;
}

export function challengerMetrics(registry: Registry = new Registry()): ChallengerMetrics {
  const g = (name: string, help: string): Gauge => new Gauge({ name, help, registers: [registry] });
  const c = (name: string, help: string): Counter => new Counter({ name, help, registers: [registry] });
  const byType = (name: string, help: string): Counter<'type'> => new Counter({ name, help, labelNames: ['type'], registers: [registry] });
  const bySource = (name: string, help: string): Counter<'source'> => new Counter({ name, help, labelNames: ['source'], registers: [registry] });
  return {
    registry,
    l1Head: g('hyperion_challenger_l1_head', 'latest L1 block the challenger has seen'),
    gamesSeen: c('hyperion_challenger_games_seen_total', 'dispute games the challenger started following'),
    gamesInProgress: g('hyperion_challenger_games_in_progress', 'games followed that are not resolved'),
    gamesWon: c('hyperion_challenger_games_won_total', 'resolved games where our claimants got back at least their bonds'),
    gamesLost: c('hyperion_challenger_games_lost_total', 'resolved games where our claimants lost bonds'),
    movesSent: byType('hyperion_challenger_moves_sent_total', 'transactions mined by type (attack, defend, step, resolveClaim, resolve, claimCredit)'),
    movesRejected: byType('hyperion_challenger_moves_rejected_total', 'actions the game rejected (someone was faster, a clock ran out); recomputed next tick'),
    bondsAtStake: g('hyperion_challenger_bonds_at_stake_wei', 'bonds our claimants have posted in unresolved games (wei)'),
    bondsClaimed: c('hyperion_challenger_bonds_claimed_wei_total', 'credit claimed from resolved games (wei)'),
    errors: new Counter({ name: 'hyperion_challenger_errors_total', help: 'errors by kind (retried with backoff)', labelNames: ['kind'], registers: [registry] }),
    l2VerifiedHead: g('hyperion_challenger_l2_verified_head', 'newest L2 block derived from L1 and re-executed with MetisVM'),
    l2BlocksDerived: c('hyperion_challenger_l2_blocks_derived_total', 'L2 blocks derived from L1 data and re-executed'),
    l1Reorgs: c('hyperion_challenger_l1_reorgs_total', 'L1 reorgs the L2 node rolled back'),
    tracesBuilt: c('hyperion_challenger_traces_built_total', 'MetisVM block step traces built for disputes'),
    traceSteps: c('hyperion_challenger_trace_steps_total', 'MetisVM steps committed in those traces (rate: tracing speed)'),
    replayGas: c('hyperion_challenger_replay_gas_total', 'gas of the L2 blocks re-executed by the L2 node (rate over rate of the seconds: replay gas/s)'),
    replaySeconds: c('hyperion_challenger_replay_seconds_total', 'seconds MetisVM spent re-executing those L2 blocks'),
    daFetchErrors: bySource('hyperion_challenger_da_fetch_errors_total', 'L1 blocks whose batcher data could not be fetched, retried on the next sync (source: beacon, eigenda, l1)'),
    daPayloadsSkipped: bySource('hyperion_challenger_da_payloads_skipped_total', 'batcher data dropped for good, each logged with its reason (source: beacon, eigenda, l1)'),
    inferencesPending: g('hyperion_challenger_inferences_pending', 'inferences of disputed blocks not yet final on the L1 inference game'),
    inferencesSettled: c('hyperion_challenger_inferences_settled_total', 'inferences whose right output became final on the L1 inference game'),
    inferencesLost: c('hyperion_challenger_inferences_lost_total', 'inferences where another output became final (a step at such a call cannot be won)'),
    inferenceCalls: c('hyperion_challenger_inference_calls_total', 'inference game transactions mined (posts, challenges, dispute moves, bond releases, withdrawals)'),
    inputsCheckedHead: g('hyperion_challenger_inputs_checked_head', 'newest derived L2 block whose inputs hash was checked against the L1 BlockInputsInbox'),
    inputsMismatches: c('hyperion_challenger_inputs_mismatches_total', 'derived blocks whose inputs differ from what the L1 BlockInputsInbox commits (games are judged on L1\'s)'),
  };
}

/** Serves GET /metrics on 127.0.0.1:`port` (0: any free port). */
export async function serveMetrics(registry: Registry, port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry
      .metrics()
      .then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body))
      .catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
  return { server, url: `http://${host}:${bound}/metrics` };
}
