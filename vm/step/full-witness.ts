// A state witness holding a whole state: every trie node of a small in-memory world. Tests and
// the devnet use it to trace transactions over a state they built themselves.
import type { MemoryState } from '../state/memory.js';
import type { StateWitness } from '../state/witness.js';
import { NodeStore, PartialTrie } from '../state/witness-trie.js';
import { EMPTY_TRIE_ROOT, encodeAccount } from '../trie/index.js';
import { rlpEncode } from '../rlp/rlp.js';
import { word32 } from '../interpreter/instructions/words.js';
import { bytesToHex, hexToBytes } from '../util/bytes.js';
import { KECCAK_EMPTY, keccak256 } from '../util/hash.js';

export function fullWitness(state: MemoryState): StateWitness & { nodes: Map<string, Uint8Array>; codes: Map<string, Uint8Array> } {
  const nodes = new Map<string, Uint8Array>();
  const codes = new Map<string, Uint8Array>();
  const store = new NodeStore(nodes);
  const keep = (enc: Uint8Array): void => void nodes.set(bytesToHex(keccak256(enc)), enc);
  const accounts = new PartialTrie(store, EMPTY_TRIE_ROOT);
  for (const [address, a] of state.accounts) {
    const storage = new PartialTrie(store, EMPTY_TRIE_ROOT);
    for (const [slot, v] of a.storage) if (v !== 0n) storage.put(keccak256(word32(slot)), rlpEncode(v));
    storage.newNodes(keep);
    if (a.code.length > 0) codes.set(bytesToHex(a.codeHash), a.code);
    accounts.put(
      keccak256(hexToBytes(address)),
      encodeAccount({ nonce: a.nonce, balance: a.balance, storageRoot: storage.rootHash(), codeHash: a.code.length > 0 ? a.codeHash : KECCAK_EMPTY }),
    );
  }
  accounts.newNodes(keep);
  return { stateRoot: accounts.rootHash(), nodes, codes };
}
