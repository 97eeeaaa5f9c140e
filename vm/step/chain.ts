// Hash chains: the operand stack and the stack of suspended frames. A chain's head is
// keccak256(below ‖ item), the empty chain is 32 zero bytes; popping k items reads k preimages.
import type { Preimages } from './preimages.js';

export const EMPTY_CHAIN = new Uint8Array(32);

export class ChainError extends Error {
  override readonly name = 'ChainError';
}

export function chainPush(pre: Preimages, head: Uint8Array, item: Uint8Array): Uint8Array {
  if (item.length !== 32) throw new ChainError('chain items are 32 bytes');
  const link = new Uint8Array(64);
  link.set(head, 0);
  link.set(item, 32);
  return pre.put(link);
}

/** The top `count` items (topmost last) and the head below them. */
export function chainTop(pre: Preimages, head: Uint8Array, count: number, what: string): { below: Uint8Array; items: Uint8Array[] } {
  const items: Uint8Array[] = [];
  let h = head;
  for (let i = 0; i < count; i++) {
    const link = pre.preimage(h, what);
    if (link.length !== 64) throw new ChainError(`${what}: link preimage is ${link.length} bytes, not 64`);
    items.push(link.subarray(32, 64));
    h = link.subarray(0, 32);
  }
  return { below: h, items: items.reverse() };
}
