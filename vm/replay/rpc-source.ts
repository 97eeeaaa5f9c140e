// ReplaySource over JSON-RPC (vm/rpc): blocks, receipts and proof-verified
// pre-state from any Ethereum node.
import { RpcClient, fetchBlock, fetchHeader, fetchPreState, fetchMissing, fetchBlockHashes, type FetchedBlock, type Rpc } from '../rpc/index.js';
import type { MissingStateError } from '../state/backend.js';
import { RpcMalformedError } from '../rpc/index.js';
import { verifyMptProof } from '../trie/index.js';
import { keccak256 } from '../util/hash.js';
import { hexToBytes } from '../util/bytes.js';
import type { Address } from '../util/address.js';
import { word32 } from '../interpreter/instructions/words.js';

const wordHex = (v: bigint): string => '0x' + v.toString(16).padStart(64, '0');
const quantityHex = (v: bigint): string => '0x' + v.toString(16);
import type { PreStateNodes, ReplaySource, SourceBlock, SourceReceipt } from './source.js';


export async function rpcChainId(url: string): Promise<bigint> {
  const id = await new RpcClient(url).request('eth_chainId', []);
  if (typeof id !== 'string' || !/^0x[0-9a-f]+$/i.test(id)) throw new Error(`eth_chainId answered ${JSON.stringify(id)}`);
  return BigInt(id);
}

/** anvil identifies itself in web3_clientVersion ("anvil/v1.7.1"). */
export async function isAnvil(url: string): Promise<boolean> {
  try {
    const v = await new RpcClient(url).request('web3_clientVersion', []);
    return typeof v === 'string' && v.toLowerCase().startsWith('anvil');
  } catch {
    return false;
  }
}

export function createRpcReplaySource(url: string, rpc: Rpc = new RpcClient(url)): ReplaySource {
  // Each replayed block is fetched once; the parent root is remembered for refetches.
  const blocks = new Map<bigint, Promise<FetchedBlock>>();
  const parentRoots = new Map<bigint, Uint8Array>();
  const fetched = (n: bigint): Promise<FetchedBlock> => {
    let p = blocks.get(n);
    if (p === undefined) {
      p = fetchBlock(rpc, n);
      blocks.set(n, p);
      // Keep the cache small: replays move forward.
      if (blocks.size > 16) blocks.delete(blocks.keys().next().value!);
    }
    return p;
  };
  return {
    async block(n: bigint): Promise<SourceBlock> {
      const b = await fetched(n);
      return { header: b.header, hash: b.hash, transactions: b.transactions.map((t) => t.raw), ...(b.header.withdrawalsRoot ? { withdrawals: b.withdrawals } : {}) };
    },
    async header(n: bigint) {
      const h = await fetchHeader(rpc, n);
      return { header: h.header, hash: h.hash };
    },
    async receipts(n: bigint): Promise<readonly SourceReceipt[]> {
      const b = await fetched(n);
      return b.receipts.map((r) => ({ success: r.status === 1, cumulativeGasUsed: r.cumulativeGasUsed, logCount: r.logs.length }));
    },
    async preState(n: bigint): Promise<PreStateNodes> {
      const pre = await fetchPreState(rpc, n);
      parentRoots.set(n, pre.parentStateRoot);
      return { nodes: pre.nodes, codes: pre.codes };
    },
    async missing(n: bigint, err: MissingStateError): Promise<PreStateNodes> {
      return fetchMissing(rpc, n, err, parentRoots.get(n));
    },
    async blockHashes(numbers: readonly bigint[]) {
      return fetchBlockHashes(rpc, numbers);
    },
    async emptyAccountLeaves(n: bigint, candidates: readonly Address[]) {
      const header = await fetchHeader(rpc, n);
      const answers = await rpc.batch(candidates.map((a) => ({ method: 'eth_getProof', params: [a, [], quantityHex(n)] })));
      const out = new Set<Address>();
      candidates.forEach((address, i) => {
        const p = answers[i] as { accountProof?: unknown } | null;
        if (p === null || typeof p !== 'object' || !Array.isArray(p.accountProof) || p.accountProof.some((x) => typeof x !== 'string')) {
          throw new RpcMalformedError('eth_getProof', `account proof of ${address}`);
        }
        const leaf = verifyMptProof(header.header.stateRoot, keccak256(hexToBytes(address)), (p.accountProof as string[]).map((x) => hexToBytes(x)));
        if (leaf !== null) out.add(address);
      });
      return out;
    },
    async zeroLeaves(n: bigint, candidates: ReadonlyMap<Address, readonly bigint[]>) {
      const out = new Map<Address, Set<bigint>>();
      const entries = [...candidates];
      const answers = await rpc.batch(entries.map(([address, slots]) => ({ method: 'eth_getProof', params: [address, slots.map(wordHex), quantityHex(n)] })));
      entries.forEach(([address, slots], i) => {
        const p = answers[i] as { storageHash?: unknown; storageProof?: { proof?: unknown }[] } | null;
        if (p === null || typeof p !== 'object' || typeof p.storageHash !== 'string' || !Array.isArray(p.storageProof) || p.storageProof.length !== slots.length) {
          throw new RpcMalformedError('eth_getProof', `answer for ${address} is not a proof of ${slots.length} slots`);
        }
        const root = hexToBytes(p.storageHash);
        slots.forEach((slot, j) => {
          const proof = p.storageProof![j]!.proof;
          if (!Array.isArray(proof) || proof.some((x) => typeof x !== 'string')) throw new RpcMalformedError('eth_getProof', `storage proof ${j} of ${address}`);
          const value = verifyMptProof(root, keccak256(word32(slot)), (proof as string[]).map((x) => hexToBytes(x)));
          if (value !== null && value.length === 1 && value[0] === 0x80) {
            let set = out.get(address);
            if (set === undefined) out.set(address, (set = new Set()));
            set.add(slot);
          }
        });
      });
      return out;
    },
  };
}
