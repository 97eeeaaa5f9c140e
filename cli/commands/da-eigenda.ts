// `hyperion-verify da eigenda`: fetch one blob from eigenda-proxy and verify it against its certificate.
import { existsSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { CheckFailedError, UsageError } from '../errors.js';
import { contextOf } from '../context.js';
import { parseHexBytes, parseNonNegativeInt, parseUrl } from '../options.js';
import { bytesToHex } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';
import {
  blobCommitmentOf,
  EigenDACertParseError,
  EigenDAClient,
  EigenDAInvalidCertError,
  loadSrs,
  parseCommitment,
  type G1Srs,
  type ProxyCommitment,
} from '../../da/eigenda/index.js';

interface DaEigendaOptions {
  proxy: string[];
  cert: Uint8Array;
  srs?: string;
  out?: string;
  json?: boolean;
  retries: number;
}

const FIXTURE_SRS = join('..', 'shared', 'fixtures', 'eigenda', 'g1.point.3000');

export function registerDaEigenda(parent: Command): void {
  parent
    .command('eigenda')
    .description('fetch one EigenDA blob through eigenda-proxy and verify it against its certificate (KZG commitment with the SRS)')
    .requiredOption('--proxy <urls>', 'eigenda-proxy base URL(s), comma-separated, tried in order', parseProxyList)
    .requiredOption('--cert <hex>', 'commitment: OP generic (0x0100…), standard (0x02…) or OP keccak (0x00…)', parseHexBytes)
    .option('--srs <path>', 'G1 SRS file (gnark-compressed points); default: the shared test fixture if present')
    .option('--out <file>', 'write the verified payload to this file')
    .option('--json', 'print the result as one JSON line')
    .option('--retries <n>', 'retry rounds over the proxy list', parseNonNegativeInt, 2)
    .action(async (opts: DaEigendaOptions, cmd: Command) => {
      const { log } = contextOf(cmd);
      let commitment: ProxyCommitment;
      try {
        commitment = parseCommitment(opts.cert);
      } catch (err) {
        if (err instanceof EigenDACertParseError) throw new UsageError(`--cert: ${err.message}`);
        throw err;
      }
      // OP keccak commitments are checked by hash alone and need no SRS.
      const srs = commitment.mode === 'op-keccak' ? { points: [] } : await srsFor(blobCommitmentOf(commitment.cert).length, opts.srs);
      const client = new EigenDAClient({ proxyUrls: opts.proxy, srs, retries: opts.retries, log });
      let result;
      try {
        result = await client.getVerified(opts.cert);
      } catch (err) {
        if (err instanceof EigenDAInvalidCertError) throw new CheckFailedError(`certificate rejected (${err.reason}): ${err.message}`);
        throw err;
      }
      if (opts.out) await writeFile(opts.out, result.payload);
      const bc = result.cert ? blobCommitmentOf(result.cert) : undefined;
      const summary = {
        verified: true,
        mode: result.mode,
        certVersion: result.cert?.certVersion ?? null,
        lengthSymbols: result.lengthSymbols ?? null,
        commitment: bc ? { x: `0x${bc.commitment.x.toString(16)}`, y: `0x${bc.commitment.y.toString(16)}` } : null,
        referenceBlockNumber: result.cert?.batchHeader.referenceBlockNumber ?? null,
        payloadBytes: result.payload.length,
        payloadKeccak256: bytesToHex(keccak256(result.payload)),
        proxy: result.proxyUrl,
        ...(opts.out ? { out: opts.out } : { payload: bytesToHex(result.payload) }),
      };
      log.info({ proxy: result.proxyUrl, mode: result.mode, bytes: result.payload.length }, 'EigenDA blob verified');
      if (opts.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      const what = result.cert
        ? `CertV${result.cert.certVersion} blob of ${result.lengthSymbols} symbols, commitment matches`
        : 'OP keccak commitment, hash matches';
      process.stdout.write(`verified: ${what}; payload ${result.payload.length} bytes, keccak256 ${summary.payloadKeccak256}\n`);
      process.stdout.write(opts.out ? `written to ${opts.out}\n` : `${bytesToHex(result.payload)}\n`);
    });
}

function parseProxyList(value: string): string[] {
  const urls = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (urls.length === 0) throw new InvalidArgumentError('no proxy URL given');
  return urls.map(parseUrl);
}

// Loads just the SRS points the certificate's blob needs.
async function srsFor(needed: number, path: string | undefined): Promise<G1Srs> {
  const srsPath = path ?? defaultSrsPath();
  if (!srsPath) throw new UsageError('no SRS: pass --srs PATH (the EigenDA G1 SRS, gnark-compressed)');
  let size: number;
  try {
    size = (await stat(srsPath)).size;
  } catch {
    throw new UsageError(`--srs: cannot read ${srsPath}`);
  }
  const available = Math.floor(size / 32);
  if (needed > available) {
    throw new UsageError(`blob of ${needed} symbols needs ${needed} SRS points, ${srsPath} holds ${available}: pass a larger SRS with --srs`);
  }
  return loadSrs(srsPath, needed);
}

// The shared fixture sits beside the package root (../shared); only a default when it exists.
function defaultSrsPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const p = resolve(dir, FIXTURE_SRS);
      return existsSync(p) ? p : undefined;
    }
    dir = dirname(dir);
  }
  return undefined;
}
