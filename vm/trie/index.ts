export { trieRoot, orderedTrieRoot, hexPrefix, EMPTY_TRIE_ROOT, TrieError, type TrieEntry } from './root.js';
export { verifyMptProof, MptProofError } from './proof.js';
export { encodeAccount, decodeAccount, AccountDecodeError, type Account } from './account.js';
