// The pre-state of a block for stateless execution: the MPT nodes and codes
// that prove every account and slot the block touches, rooted at the parent
// header's stateRoot. Nothing the node says is believed until its proof
// verifies against that root; a bad proof is a PreStateProofError.
import type { Address } from '../util/address.js';
import { bigIntToBytes, bytesToBigInt, bytesToHex, equalBytes, hexToBytes } from '../util/bytes.js';
import { keccak256, KECCAK_EMPTY } from '../util/hash.js';
import { rlpDecode, rlpEncode, rlpToBigInt, RlpError, type RlpItem } from '../rlp/rlp.js';
import { decodeAccount, AccountDecodeError, EMPTY_TRIE_ROOT, MptProofError, verifyMptProof } from '../trie/index.js';
import type { MissingStateError } from '../state/backend.js';
import { RpcMalformedError, RpcResponseError, type JsonValue, type Rpc } from './client.js';
import { BlockIntegrityError, fetchHeader, parseHeaderAnswer, type BlockHeader } from './block.js';
import { address, arr, data, hash32, obj, quantity, quantityHex, quantityOrNumber, word, wordHex } from './validate.js';

export interface PreState {
  readonly parentStateRoot: Uint8Array;
  /** RLP of every trie node needed (state and storage tries), deduplicated. */
  readonly nodes: Uint8Array[];
  /** Bytecode of every touched contract, deduplicated. */
  readonly codes: Uint8Array[];
  /** Ancestor hashes known without extra requests (at least the parent's). */
  readonly blockHashes: Map<bigint, Uint8Array>;
}

export interface PreStateExtra {
  readonly nodes: Uint8Array[];
  readonly codes: Uint8Array[];
}

/** A proof from the node does not verify against the parent state root. */
export class PreStateProofError extends Error {
  override readonly name = 'PreStateProofError';
  constructor(
    readonly address: Address,
    readonly slot: bigint | null,
    readonly detail: string,
  ) {
    super(`${slot === null ? `account ${address}` : `slot ${wordHex(slot)} of ${address}`}: ${detail}`);
  }
}

export interface FetchPreStateOptions {
  /** 'witness': debug_executionWitness only; 'proofs': tracer + eth_getProof; 'auto' (default): witness, else proofs. */
  readonly source?: 'auto' | 'witness' | 'proofs';
  /** Accounts to prove besides those the tracer reports (e.g. system contracts). */
  readonly extraAccounts?: readonly Address[];
}

/** One account with the slots to prove. */
interface Touched {
  readonly slots: Set<bigint>;
  code: Uint8Array | null;
}

/** Fetches and verifies what executing block `blockNumber` on its parent state needs. */
export async function fetchPreState(rpc: Rpc, blockNumber: bigint, options: FetchPreStateOptions = {}): Promise<PreState> {
  if (blockNumber < 1n) throw new RangeError('the genesis block has no parent state');
  const source = options.source ?? 'auto';
  const [parentAnswer, blockAnswer] = await rpc.batch([
    { method: 'eth_getBlockByNumber', params: [quantityHex(blockNumber - 1n), false] },
    { method: 'eth_getBlockByNumber', params: [quantityHex(blockNumber), false] },
  ]);
  const parent = parseHeaderAnswer('eth_getBlockByNumber', blockNumber - 1n, parentAnswer!);
  const block = parseHeaderAnswer('eth_getBlockByNumber', blockNumber, blockAnswer!);
  if (!equalBytes(block.header.parentHash, parent.hash)) {
    throw new BlockIntegrityError(`block ${blockNumber}'s parentHash is not the hash of block ${blockNumber - 1n}`);
  }
  if (source !== 'proofs') {
    try {
      return await fromWitness(rpc, blockNumber, parent.header, parent.hash, options.extraAccounts ?? []);
    } catch (e) {
      // Only a node that lacks the method falls back; a bad witness is an error.
      if (source === 'witness' || !(e instanceof RpcResponseError)) throw e;
    }
  }
  const withdrawals = obj('eth_getBlockByNumber', blockAnswer!, 'block').withdrawals;
  const recipients =
    withdrawals === undefined || withdrawals === null
      ? []
      : arr('eth_getBlockByNumber', withdrawals, 'withdrawals').map((w) => address('eth_getBlockByNumber', obj('eth_getBlockByNumber', w, 'withdrawal').address, 'withdrawal.address'));
  const always = new Map<Address, bigint[]>([[block.header.coinbase, []]]);
  for (const a of recipients) always.set(a, []);
  for (const [a, slots] of systemState(block.header)) always.set(a, slots);
  for (const a of options.extraAccounts ?? []) if (!always.has(a)) always.set(a, []);
  return fromProofs(rpc, blockNumber, parent.header, parent.hash, always);
}

/** EIP-4788 and EIP-2935 ring buffer length. */
const HISTORY_WINDOW = 8191n;

/**
 * State the block's system calls read and write, which a transaction tracer
 * does not report: the beacon-roots ring (EIP-4788, when the header carries a
 * parent beacon root), and from Prague (the header has requestsHash) the block
 * hash history (EIP-2935) and the request queues' four counters (EIP-7002,
 * EIP-7251). Proven even where absent, so the executor needs no second round.
 */
function systemState(h: BlockHeader): [Address, bigint[]][] {
  const out: [Address, bigint[]][] = [];
  if (h.parentBeaconBlockRoot !== undefined) {
    const i = h.timestamp % HISTORY_WINDOW;
    out.push(['0x000f3df6d732807ef1319fb7b8bb8522d0beac02', [i, i + HISTORY_WINDOW]]);
  }
  if (h.requestsHash !== undefined) {
    out.push(['0x0000f90827f1c53a10cb7a02335b175320002935', [(h.number - 1n) % HISTORY_WINDOW]]);
    out.push(['0x00000961ef480eb55e80d19ad83579a64c007002', [0n, 1n, 2n, 3n]]);
    out.push(['0x0000bbddc7ce488642fb579f8b00f3a590007251', [0n, 1n, 2n, 3n]]);
  }
  return out;
}

async function fromProofs(
  rpc: Rpc,
  blockNumber: bigint,
  parent: BlockHeader,
  parentHash: Uint8Array,
  always: ReadonlyMap<Address, readonly bigint[]>,
): Promise<PreState> {
  const method = 'debug_traceBlockByNumber';
  const trace = arr(method, await rpc.request(method, [quantityHex(blockNumber), { tracer: 'prestateTracer' }]), 'trace');
  const touched = new Map<Address, Touched>();
  const touch = (a: Address): Touched => {
    let t = touched.get(a);
    if (!t) touched.set(a, (t = { slots: new Set(), code: null }));
    return t;
  };
  for (const [a, slots] of always) for (const slot of slots) touch(a).slots.add(slot);
  for (const entry of trace) {
    const accounts = obj(method, obj(method, entry, 'trace entry').result, 'trace result');
    for (const [addr, v] of Object.entries(accounts)) {
      const t = touch(address(method, addr, 'prestate address'));
      const acct = obj(method, v, `prestate of ${addr}`);
      if (acct.code !== undefined && acct.code !== null) t.code = data(method, acct.code, 'code');
      if (acct.storage !== undefined && acct.storage !== null) {
        for (const slot of Object.keys(obj(method, acct.storage, 'storage'))) t.slots.add(word(method, slot, 'storage key'));
      }
    }
  }
  const nodes = new NodeSet();
  const codes = new NodeSet();
  await proveAccounts(rpc, blockNumber - 1n, parent.stateRoot, touched, nodes, codes);
  return {
    parentStateRoot: parent.stateRoot,
    nodes: nodes.list(),
    codes: codes.list(),
    blockHashes: new Map([[blockNumber - 1n, parentHash]]),
  };
}

/** Deduplicates byte strings by content. */
class NodeSet {
  private readonly byHex = new Map<string, Uint8Array>();
  add(b: Uint8Array): void {
    this.byHex.set(bytesToHex(b), b);
  }
  list(): Uint8Array[] {
    return [...this.byHex.values()];
  }
}

/** eth_getProof for each account (batched), verified; adds nodes and codes. */
async function proveAccounts(
  rpc: Rpc,
  atBlock: bigint,
  stateRoot: Uint8Array,
  touched: ReadonlyMap<Address, Touched>,
  nodes: NodeSet,
  codes: NodeSet,
): Promise<void> {
  const entries = [...touched];
  const answers = await rpc.batch(
    entries.map(([a, t]) => ({ method: 'eth_getProof', params: [a, [...t.slots].map(wordHex), quantityHex(atBlock)] })),
  );
  const needCode: { address: Address; codeHash: Uint8Array }[] = [];
  entries.forEach(([a, t], i) => {
    const { codeHash, proofNodes } = verifyAccountProof(stateRoot, a, t.slots, answers[i]!);
    for (const n of proofNodes) nodes.add(n);
    if (equalBytes(codeHash, KECCAK_EMPTY)) return;
    if (t.code !== null && equalBytes(keccak256(t.code), codeHash)) codes.add(t.code);
    else needCode.push({ address: a, codeHash });
  });
  if (needCode.length === 0) return;
  const fetched = await rpc.batch(needCode.map((c) => ({ method: 'eth_getCode', params: [c.address, quantityHex(atBlock)] })));
  needCode.forEach((c, i) => {
    const code = data('eth_getCode', fetched[i], 'code');
    if (!equalBytes(keccak256(code), c.codeHash)) throw new PreStateProofError(c.address, null, 'code does not hash to the proven codeHash');
    codes.add(code);
  });
}

/**
 * Checks one eth_getProof answer against `stateRoot`: the account proof, that
 * the reported fields equal the proven account, and every requested slot's
 * proof against the proven storage root.
 */
export function verifyAccountProof(
  stateRoot: Uint8Array,
  addr: Address,
  slots: ReadonlySet<bigint>,
  answer: JsonValue,
): { codeHash: Uint8Array; storageRoot: Uint8Array; proofNodes: Uint8Array[] } {
  const m = 'eth_getProof';
  const p = obj(m, answer, 'proof');
  if (address(m, p.address, 'address') !== addr) throw new RpcMalformedError(m, `proof is for ${String(p.address)}, asked for ${addr}`);
  const accountProof = arr(m, p.accountProof, 'accountProof').map((n) => data(m, n, 'accountProof node'));
  const nonce = quantity(m, p.nonce, 'nonce');
  const balance = quantity(m, p.balance, 'balance');
  const storageHash = hash32(m, p.storageHash, 'storageHash');
  const reportedCodeHash = hash32(m, p.codeHash, 'codeHash');

  let value: Uint8Array | null;
  try {
    value = verifyMptProof(stateRoot, keccak256(hexToBytes(addr)), accountProof);
  } catch (e) {
    if (e instanceof MptProofError) throw new PreStateProofError(addr, null, e.message);
    throw e;
  }
  let storageRoot: Uint8Array;
  let codeHash: Uint8Array;
  if (value === null) {
    // Proven absent: the node must report an empty account.
    if (nonce !== 0n || balance !== 0n) throw new PreStateProofError(addr, null, 'proof shows no account but the node reports a non-empty one');
    storageRoot = EMPTY_TRIE_ROOT;
    codeHash = KECCAK_EMPTY;
  } else {
    let acct;
    try {
      acct = decodeAccount(value);
    } catch (e) {
      if (e instanceof AccountDecodeError) throw new PreStateProofError(addr, null, e.message);
      throw e;
    }
    if (acct.nonce !== nonce || acct.balance !== balance || !equalBytes(acct.storageRoot, storageHash) || !equalBytes(acct.codeHash, reportedCodeHash)) {
      throw new PreStateProofError(addr, null, 'reported account fields differ from the proven account');
    }
    storageRoot = acct.storageRoot;
    codeHash = acct.codeHash;
  }

  const proofNodes = [...accountProof];
  const seen = new Set<bigint>();
  for (const sv of arr(m, p.storageProof, 'storageProof')) {
    const s = obj(m, sv, 'storageProof entry');
    const slot = word(m, s.key, 'storage key');
    const reported = quantity(m, s.value, 'storage value');
    const proof = arr(m, s.proof, 'storage proof').map((n) => data(m, n, 'storage proof node'));
    let proven = 0n;
    try {
      const v = verifyMptProof(storageRoot, keccak256(bigIntToBytes(slot)), proof);
      if (v !== null) proven = rlpToBigInt(rlpDecode(v), 'storage value');
    } catch (e) {
      if (e instanceof MptProofError || e instanceof RlpError) throw new PreStateProofError(addr, slot, e.message);
      throw e;
    }
    if (proven !== reported) throw new PreStateProofError(addr, slot, `node reports ${reported}, proof shows ${proven}`);
    seen.add(slot);
    proofNodes.push(...proof);
  }
  for (const slot of slots) if (!seen.has(slot)) throw new PreStateProofError(addr, slot, 'no storage proof returned for a requested slot');
  return { codeHash, storageRoot, proofNodes };
}

/**
 * One more account or slot proof for re-execution after MissingStateError
 * (the tracer under-reported what the block touches). Verified like the rest.
 */
export async function fetchMissing(rpc: Rpc, blockNumber: bigint, missing: MissingStateError, parentStateRoot?: Uint8Array): Promise<PreStateExtra> {
  const root = parentStateRoot ?? (await fetchHeader(rpc, blockNumber - 1n)).header.stateRoot;
  const slots = new Set<bigint>(missing.what === 'storage' && missing.slot !== undefined ? [missing.slot] : []);
  const nodes = new NodeSet();
  const codes = new NodeSet();
  await proveAccounts(rpc, blockNumber - 1n, root, new Map([[missing.address, { slots, code: null }]]), nodes, codes);
  return { nodes: nodes.list(), codes: codes.list() };
}

/**
 * Hashes of the given blocks (for BLOCKHASH), each header checked to hash to
 * its hash and consecutive ones to link. With `anchor` (a hash the caller
 * trusts, e.g. the executed block's parentHash) the chain must end there.
 */
export async function fetchBlockHashes(
  rpc: Rpc,
  numbers: readonly bigint[],
  anchor?: { readonly number: bigint; readonly hash: Uint8Array },
): Promise<Map<bigint, Uint8Array>> {
  const sorted = [...new Set(numbers)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const answers = await rpc.batch(sorted.map((n) => ({ method: 'eth_getBlockByNumber', params: [quantityHex(n), false] })));
  const out = new Map<bigint, Uint8Array>();
  const headers = new Map<bigint, BlockHeader>();
  sorted.forEach((n, i) => {
    const { hash, header } = parseHeaderAnswer('eth_getBlockByNumber', n, answers[i]!);
    out.set(n, hash);
    headers.set(n, header);
  });
  for (const [n, h] of headers) {
    const prev = out.get(n - 1n);
    if (prev !== undefined && !equalBytes(h.parentHash, prev)) throw new BlockIntegrityError(`block ${n} does not link to block ${n - 1n}`);
  }
  if (anchor !== undefined) {
    // With parent links checked above, a contiguous run ending at the trusted
    // anchor makes every hash in it canonical.
    const have = out.get(anchor.number);
    if (have === undefined || !equalBytes(have, anchor.hash)) throw new BlockIntegrityError(`block ${anchor.number}'s hash is not the trusted anchor`);
    if (sorted[sorted.length - 1] !== anchor.number) throw new RangeError('numbers must not exceed the anchor');
    if (sorted.length > 0 && BigInt(sorted.length) !== anchor.number - sorted[0]! + 1n) {
      throw new BlockIntegrityError(`blocks ${sorted[0]}..${anchor.number} must be contiguous to link to the anchor`);
    }
  }
  return out;
}

// ---- debug_executionWitness (reth) --------------------------------------

async function fromWitness(
  rpc: Rpc,
  blockNumber: bigint,
  parent: BlockHeader,
  parentHash: Uint8Array,
  extra: readonly Address[],
): Promise<PreState> {
  const m = 'debug_executionWitness';
  const w = obj(m, await rpc.request(m, [quantityHex(blockNumber)]), 'witness');
  const state = arr(m, w.state, 'state').map((n) => data(m, n, 'state node'));
  const codes = arr(m, w.codes, 'codes').map((c) => data(m, c, 'code'));
  const keys = w.keys === undefined || w.keys === null ? [] : arr(m, w.keys, 'keys').map((k) => data(m, k, 'key'));
  const headerRlps = w.headers === undefined || w.headers === null ? [] : arr(m, w.headers, 'headers').map((h) => data(m, h, 'header'));

  const byHash = new Map<string, Uint8Array>();
  for (const n of state) byHash.set(bytesToHex(keccak256(n)), n);
  if (!byHash.has(bytesToHex(parent.stateRoot))) {
    throw new PreStateProofError('0x0000000000000000000000000000000000000000', null, 'witness lacks the parent state root node');
  }
  // Every account the witness names must have a verifying path from the root.
  const accounts = keys.filter((k) => k.length === 20).map((k) => bytesToHex(k) as Address);
  for (const a of [...accounts, ...extra]) {
    const path = proofPath(parent.stateRoot, keccak256(hexToBytes(a)), byHash, a);
    try {
      verifyMptProof(parent.stateRoot, keccak256(hexToBytes(a)), path);
    } catch (e) {
      if (e instanceof MptProofError) throw new PreStateProofError(a, null, e.message);
      throw e;
    }
  }

  // Headers: each must hash-link down from the trusted parent.
  const blockHashes = new Map<bigint, Uint8Array>([[blockNumber - 1n, parentHash]]);
  const byNumber = new Map<bigint, { hash: Uint8Array; parentHash: Uint8Array }>();
  for (const raw of headerRlps) {
    let fields: RlpItem;
    try {
      fields = rlpDecode(raw);
    } catch (e) {
      if (e instanceof RlpError) throw new RpcMalformedError(m, `header is not RLP: ${e.message}`);
      throw e;
    }
    const num = Array.isArray(fields) ? fields[8] : undefined;
    const ph = Array.isArray(fields) ? fields[0] : undefined;
    if (!(num instanceof Uint8Array) || !(ph instanceof Uint8Array) || ph.length !== 32 || (fields as RlpItem[]).length < 15) {
      throw new RpcMalformedError(m, 'header is not an RLP list of 15+ fields');
    }
    byNumber.set(bytesToBigInt(num), { hash: keccak256(raw), parentHash: ph });
  }
  let expect = parentHash;
  for (let n = blockNumber - 1n; byNumber.has(n); n--) {
    const h = byNumber.get(n)!;
    if (!equalBytes(h.hash, expect)) throw new BlockIntegrityError(`witness header ${n} does not link to block ${blockNumber}`);
    blockHashes.set(n, h.hash);
    expect = h.parentHash;
    if (n === 0n) break;
  }
  const codeSet = new NodeSet();
  for (const c of codes) codeSet.add(c);
  return { parentStateRoot: parent.stateRoot, nodes: [...byHash.values()], codes: codeSet.list(), blockHashes };
}

/**
 * The hashed nodes on the path to `key` in a node set, in proof order (for
 * verifyMptProof). Stops where the key is shown absent.
 */
export function proofPath(root: Uint8Array, key: Uint8Array, byHash: ReadonlyMap<string, Uint8Array>, who: Address): Uint8Array[] {
  const nibbles: number[] = [];
  for (const b of key) nibbles.push(b >> 4, b & 15);
  const out: Uint8Array[] = [];
  const load = (h: Uint8Array): RlpItem => {
    const n = byHash.get(bytesToHex(h));
    if (n === undefined) throw new PreStateProofError(who, null, `witness lacks trie node ${bytesToHex(h)}`);
    out.push(n);
    return rlpDecode(n);
  };
  if (equalBytes(root, EMPTY_TRIE_ROOT)) return out;
  let node = load(root);
  let at = 0;
  for (;;) {
    if (!Array.isArray(node)) throw new PreStateProofError(who, null, 'trie node is not a list');
    let ref: RlpItem;
    if (node.length === 17) {
      if (at === nibbles.length) return out;
      ref = node[nibbles[at++]!]!;
    } else if (node.length === 2) {
      const path = node[0];
      if (!(path instanceof Uint8Array) || path.length === 0) throw new PreStateProofError(who, null, 'trie node with a malformed path');
      const flag = path[0]! >> 4;
      const pn: number[] = [];
      if (flag & 1) pn.push(path[0]! & 15);
      for (let i = 1; i < path.length; i++) pn.push(path[i]! >> 4, path[i]! & 15);
      if (flag >= 2) return out; // leaf: verifyMptProof decides match or absence
      for (const n of pn) if (nibbles[at++] !== n) return out;
      ref = node[1]!;
    } else {
      throw new PreStateProofError(who, null, `trie node with ${node.length} items`);
    }
    if (ref instanceof Uint8Array) {
      if (ref.length === 0) return out;
      node = load(ref);
    } else {
      node = ref; // embedded node: part of its parent's RLP
      if (rlpEncode(ref).length >= 32) throw new PreStateProofError(who, null, 'embedded node of 32 bytes or more');
    }
  }
}
