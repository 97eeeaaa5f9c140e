// Ethereum GeneralStateTests fixtures (the standard JSON format), parsed into
// typed cases: one per (fork, data, gas, value) index combination in `post`.
import { hexToBytes } from '../util/bytes.js';
import { toAddress, type Address } from '../util/address.js';

export class StateTestFormatError extends Error {
  override readonly name = 'StateTestFormatError';
}

export interface PreAccount {
  readonly balance: bigint;
  readonly nonce: bigint;
  readonly code: Uint8Array;
  readonly storage: ReadonlyMap<bigint, bigint>;
}

export interface StateTestEnv {
  readonly coinbase: Address;
  readonly gasLimit: bigint;
  readonly number: bigint;
  readonly timestamp: bigint;
  readonly baseFee: bigint;
  readonly prevRandao: bigint;
  readonly excessBlobGas: bigint;
}

export interface StateTestTx {
  readonly type: 0 | 1 | 2 | 3 | 4;
  readonly sender: Address;
  readonly nonce: bigint;
  readonly to: Address | null;
  readonly gasPrice: bigint | null;
  readonly maxFeePerGas: bigint | null;
  readonly maxPriorityFeePerGas: bigint | null;
  readonly maxFeePerBlobGas: bigint | null;
  readonly blobVersionedHashes: readonly Uint8Array[];
  readonly data: readonly Uint8Array[];
  readonly gasLimit: readonly bigint[];
  readonly value: readonly bigint[];
  readonly accessLists: readonly (readonly { address: Address; storageKeys: bigint[] }[] | null)[];
  readonly authorizationList: readonly RawAuthorization[] | null;
}

export interface RawAuthorization {
  readonly chainId: bigint;
  readonly address: Address;
  readonly nonce: bigint;
  readonly v: bigint;
  readonly r: bigint;
  readonly s: bigint;
  /** The signer the fixture states, if any. */
  readonly signer: Address | null;
}

export interface StateTestCase {
  readonly name: string;
  readonly fork: string;
  readonly index: { readonly data: number; readonly gas: number; readonly value: number };
  readonly env: StateTestEnv;
  readonly pre: ReadonlyMap<Address, PreAccount>;
  readonly tx: StateTestTx;
  readonly expectedRoot: string;
  readonly expectedLogsHash: string;
  readonly expectException: string | null;
  readonly txBytes: Uint8Array | null;
}

type Json = Record<string, unknown>;

function big(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || v.length === 0) throw new StateTestFormatError(`${what}: expected a hex or decimal string`);
  try {
    return BigInt(v.startsWith('0x:bigint ') ? v.slice(10) : v);
  } catch {
    throw new StateTestFormatError(`${what}: not a number: ${v}`);
  }
}

function bytes(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string') throw new StateTestFormatError(`${what}: expected hex`);
  return hexToBytes(v);
}

function addr(v: unknown, what: string): Address {
  if (typeof v !== 'string') throw new StateTestFormatError(`${what}: expected an address`);
  return toAddress(v);
}

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new StateTestFormatError(`${what}: expected an object`);
  return v as Json;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new StateTestFormatError(`${what}: expected an array`);
  return v;
}

export function parseStateTestFile(json: unknown): StateTestCase[] {
  const out: StateTestCase[] = [];
  for (const [name, raw] of Object.entries(obj(json, 'file'))) {
    const t = obj(raw, name);
    const envJ = obj(t['env'], `${name}.env`);
    const env: StateTestEnv = {
      coinbase: addr(envJ['currentCoinbase'], 'currentCoinbase'),
      gasLimit: big(envJ['currentGasLimit'], 'currentGasLimit'),
      number: big(envJ['currentNumber'], 'currentNumber'),
      timestamp: big(envJ['currentTimestamp'], 'currentTimestamp'),
      baseFee: envJ['currentBaseFee'] === undefined ? 0n : big(envJ['currentBaseFee'], 'currentBaseFee'),
      prevRandao: envJ['currentRandom'] === undefined ? big(envJ['currentDifficulty'], 'currentDifficulty') : big(envJ['currentRandom'], 'currentRandom'),
      excessBlobGas: envJ['currentExcessBlobGas'] === undefined ? 0n : big(envJ['currentExcessBlobGas'], 'currentExcessBlobGas'),
    };
    const pre = new Map<Address, PreAccount>();
    for (const [a, accRaw] of Object.entries(obj(t['pre'], `${name}.pre`))) {
      const acc = obj(accRaw, a);
      const storage = new Map<bigint, bigint>();
      for (const [k, v] of Object.entries(obj(acc['storage'] ?? {}, `${a}.storage`))) storage.set(big(k, 'slot'), big(v, 'value'));
      pre.set(toAddress(a), {
        balance: big(acc['balance'], `${a}.balance`),
        nonce: big(acc['nonce'], `${a}.nonce`),
        code: bytes(acc['code'] ?? '0x', `${a}.code`),
        storage,
      });
    }
    const tx = parseTx(obj(t['transaction'], `${name}.transaction`));
    for (const [fork, postsRaw] of Object.entries(obj(t['post'], `${name}.post`))) {
      for (const pr of arr(postsRaw, `${name}.post.${fork}`)) {
        const p = obj(pr, 'post entry');
        const idx = obj(p['indexes'], 'indexes');
        out.push({
          name,
          fork,
          index: { data: Number(idx['data']), gas: Number(idx['gas']), value: Number(idx['value']) },
          env,
          pre,
          tx,
          expectedRoot: String(p['hash']).toLowerCase(),
          expectedLogsHash: String(p['logs']).toLowerCase(),
          expectException: typeof p['expectException'] === 'string' ? p['expectException'] : null,
          txBytes: typeof p['txbytes'] === 'string' ? hexToBytes(p['txbytes']) : null,
        });
      }
    }
  }
  return out;
}

function parseTx(t: Json): StateTestTx {
  const to = typeof t['to'] === 'string' && t['to'] !== '' ? addr(t['to'], 'to') : null;
  const blobs = Array.isArray(t['blobVersionedHashes']) ? t['blobVersionedHashes'].map((h) => bytes(h, 'blobVersionedHash')) : null;
  const auths = Array.isArray(t['authorizationList'])
    ? t['authorizationList'].map((aRaw): RawAuthorization => {
        const a = obj(aRaw, 'authorization');
        return {
          chainId: big(a['chainId'], 'auth.chainId'),
          address: addr(a['address'], 'auth.address'),
          nonce: big(a['nonce'], 'auth.nonce'),
          v: big(a['v'] ?? a['yParity'], 'auth.v'),
          r: big(a['r'], 'auth.r'),
          s: big(a['s'], 'auth.s'),
          signer: typeof a['signer'] === 'string' ? addr(a['signer'], 'auth.signer') : null,
        };
      })
    : null;
  const accessLists = Array.isArray(t['accessLists'])
    ? t['accessLists'].map((l) =>
        l === null
          ? null
          : arr(l, 'accessList').map((eRaw) => {
              const e = obj(eRaw, 'access list entry');
              return { address: addr(e['address'], 'address'), storageKeys: arr(e['storageKeys'], 'storageKeys').map((k) => big(k, 'key')) };
            }),
      )
    : [];
  const type: StateTestTx['type'] = auths !== null ? 4 : blobs !== null ? 3 : t['maxFeePerGas'] !== undefined ? 2 : accessLists.length > 0 ? 1 : 0;
  return {
    type,
    sender: addr(t['sender'], 'sender'),
    nonce: big(t['nonce'], 'nonce'),
    to,
    gasPrice: t['gasPrice'] === undefined ? null : big(t['gasPrice'], 'gasPrice'),
    maxFeePerGas: t['maxFeePerGas'] === undefined ? null : big(t['maxFeePerGas'], 'maxFeePerGas'),
    maxPriorityFeePerGas: t['maxPriorityFeePerGas'] === undefined ? null : big(t['maxPriorityFeePerGas'], 'maxPriorityFeePerGas'),
    maxFeePerBlobGas: t['maxFeePerBlobGas'] === undefined ? null : big(t['maxFeePerBlobGas'], 'maxFeePerBlobGas'),
    blobVersionedHashes: blobs ?? [],
    data: arr(t['data'], 'data').map((d) => bytes(d, 'data')),
    gasLimit: arr(t['gasLimit'], 'gasLimit').map((g) => big(g, 'gasLimit')),
    value: arr(t['value'], 'value').map((v) => big(v, 'value')),
    accessLists,
    authorizationList: auths,
  };
}
