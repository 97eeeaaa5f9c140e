// vm/util/keccak.ts against two independent implementations: @noble/hashes (JS, the one the
// VM used before) and anvil's KECCAK256 opcode (revm, native), plus digests known by heart.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { KECCAK256_RATE, KeccakInputError, keccak256, keccak256Into, keccak256Word } from '../vm/util/keccak.js';

const hex = (b: Uint8Array): string => bytesToHex(b);

// Deterministic filler so a failure names a reproducible input; random bytes are used below too.
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = (seed * 0x9e3779b1 + 1) >>> 0;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s >>> 24;
  }
  return out;
}

describe('keccak256', () => {
  it('gives the well-known digest of the empty string', () => {
    expect(hex(keccak256(new Uint8Array(0)))).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  });

  it('gives the well-known ERC-20 selectors (first four digest bytes)', () => {
    const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(hex(keccak256(utf8('transfer(address,uint256)')).subarray(0, 4))).toBe('0xa9059cbb');
    expect(hex(keccak256(utf8('balanceOf(address)')).subarray(0, 4))).toBe('0x70a08231');
  });

  it('matches @noble/hashes on every length 0..600 (past four 136-byte block boundaries)', () => {
    const mismatches: number[] = [];
    for (let n = 0; n <= 600; n++) {
      const data = pattern(n, n);
      if (hex(keccak256(data)) !== hex(keccak_256(data))) mismatches.push(n);
    }
    expect(mismatches).toEqual([]);
  });

  it('matches @noble/hashes on all-0x00 and all-0xff inputs around the block boundary', () => {
    for (const fill of [0x00, 0xff]) {
      for (const n of [1, 7, 8, 9, 131, 132, 133, 134, 135, 136, 137, 271, 272, 273]) {
        const data = new Uint8Array(n).fill(fill);
        expect(hex(keccak256(data)), `fill ${fill} length ${n}`).toBe(hex(keccak_256(data)));
      }
    }
  });

  it('matches @noble/hashes on random inputs up to 1 MiB', () => {
    const lengths = [1 << 20, (1 << 20) - 1, 1000 * KECCAK256_RATE, 1000 * KECCAK256_RATE - 1, 1000 * KECCAK256_RATE + 1];
    for (let i = 0; i < 12; i++) lengths.push(randomBytes(3).readUIntBE(0, 3) % (1 << 20));
    for (const n of lengths) {
      const data = randomBytes(n);
      expect(hex(keccak256(data)), `random input of ${n} bytes`).toBe(hex(keccak_256(data)));
    }
  });

  it('reads only its own window of a subarray with a non-zero byteOffset', () => {
    const backing = pattern(4096, 7);
    for (const [start, length] of [
      [1, 0],
      [1, 32],
      [3, 64],
      [5, 135],
      [7, 136],
      [13, 137],
      [2, 1000],
      [1023, 3000],
    ] as const) {
      const view = backing.subarray(start, start + length);
      expect(view.byteOffset).toBe(start);
      const copy = view.slice();
      expect(hex(keccak256(view)), `subarray(${start}, +${length})`).toBe(hex(keccak_256(copy)));
    }
    // A Buffer is a Uint8Array that often sits at an odd offset in Node's shared pool.
    const buf = Buffer.from('hyperion-verify');
    expect(hex(keccak256(buf))).toBe(hex(keccak_256(Uint8Array.from(buf))));
  });

  it('keeps nothing from one call to the next', () => {
    const small = pattern(32, 1);
    const first = hex(keccak256(small));
    keccak256(pattern(10_000, 2));
    keccak256(new Uint8Array(135).fill(0xff));
    expect(hex(keccak256(small))).toBe(first);
    expect(first).toBe(hex(keccak_256(small)));
  });

  it('does not modify its input', () => {
    const data = pattern(300, 3);
    const before = data.slice();
    keccak256(data);
    expect(data).toEqual(before);
  });

  it('returns a fresh array each time', () => {
    const data = pattern(32, 4);
    const a = keccak256(data);
    const b = keccak256(data);
    expect(a).not.toBe(b);
    a.fill(0);
    expect(hex(b)).toBe(hex(keccak_256(data)));
  });

  it('rejects what is not a Uint8Array with KeccakInputError', () => {
    for (const bad of ['abc', null, undefined, [1, 2, 3], new Uint16Array(4), 42]) {
      expect(() => keccak256(bad as unknown as Uint8Array)).toThrow(KeccakInputError);
    }
  });
});

describe('keccak256Into', () => {
  it('writes the digest at an offset and touches no other byte', () => {
    for (const n of [0, 32, 64, 200]) {
      const data = pattern(n, 10 + n);
      const out = pattern(100, 99);
      const before = out.slice();
      const at = 37;
      keccak256Into(data, out, at);
      expect(hex(out.subarray(at, at + 32))).toBe(hex(keccak_256(data)));
      expect(out.subarray(0, at)).toEqual(before.subarray(0, at));
      expect(out.subarray(at + 32)).toEqual(before.subarray(at + 32));
    }
  });

  it('writes at the very end of the buffer and into a subarray view', () => {
    const data = pattern(64, 5);
    const out = new Uint8Array(40).fill(0xaa);
    keccak256Into(data, out, 8);
    expect(hex(out.subarray(8))).toBe(hex(keccak_256(data)));
    expect(out.subarray(0, 8)).toEqual(new Uint8Array(8).fill(0xaa));

    const backing = new Uint8Array(80).fill(0x55);
    const view = backing.subarray(10, 50);
    keccak256Into(data, view, 3);
    expect(hex(backing.subarray(13, 45))).toBe(hex(keccak_256(data)));
    expect(backing.subarray(0, 13)).toEqual(new Uint8Array(13).fill(0x55));
    expect(backing.subarray(45)).toEqual(new Uint8Array(35).fill(0x55));
  });

  it('hashes a buffer into itself', () => {
    const buf = pattern(64, 6);
    const expected = hex(keccak_256(buf));
    keccak256Into(buf, buf, 0);
    expect(hex(buf.subarray(0, 32))).toBe(expected);
  });

  it('rejects offsets where 32 bytes do not fit, leaving the buffer alone', () => {
    const out = new Uint8Array(40).fill(1);
    for (const at of [9, -1, 1.5, Number.NaN, 40]) {
      expect(() => keccak256Into(new Uint8Array(3), out, at), `offset ${at}`).toThrow(KeccakInputError);
    }
    expect(() => keccak256Into(new Uint8Array(3), new Uint8Array(31), 0)).toThrow(KeccakInputError);
    expect(() => keccak256Into(new Uint8Array(3), 'out' as unknown as Uint8Array, 0)).toThrow(KeccakInputError);
    expect(out).toEqual(new Uint8Array(40).fill(1));
  });
});

describe('keccak256Word', () => {
  it('is the digest read as a big-endian 256-bit number', () => {
    for (const n of [0, 1, 32, 64, 136, 500]) {
      const data = pattern(n, 20 + n);
      expect(keccak256Word(data)).toBe(BigInt(hex(keccak_256(data))));
    }
    // A digest with a zero top byte must not lose it: found by search, checked against noble.
    let data = new Uint8Array(4);
    for (let i = 0; keccak_256(data)[0] !== 0; i++) data = Uint8Array.of(i & 0xff, i >>> 8, 0, 0);
    expect(keccak256Word(data)).toBe(BigInt(hex(keccak_256(data))));
    expect(keccak256Word(data) < 1n << 248n).toBe(true);
  });

  it('hashes a byte range without a subarray', () => {
    const memory = pattern(1024, 30);
    for (const [offset, length] of [
      [0, 0],
      [1, 31],
      [64, 64],
      [100, 136],
      [5, 1019],
      [1024, 0],
    ] as const) {
      expect(keccak256Word(memory, offset, length), `[${offset}, +${length})`).toBe(
        BigInt(hex(keccak_256(memory.slice(offset, offset + length)))),
      );
    }
    expect(keccak256Word(memory, 1000)).toBe(BigInt(hex(keccak_256(memory.slice(1000)))));
  });

  it('rejects ranges outside the input with KeccakInputError', () => {
    const data = new Uint8Array(10);
    for (const [offset, length] of [
      [-1, 1],
      [0, 11],
      [5, 6],
      [11, 0],
      [0, -1],
      [0.5, 1],
    ] as const) {
      expect(() => keccak256Word(data, offset, length), `[${offset}, +${length})`).toThrow(KeccakInputError);
    }
    expect(() => keccak256Word(null as unknown as Uint8Array)).toThrow(KeccakInputError);
  });
});

// revm's KECCAK256 opcode, reached through eth_call on a real anvil node: init code that copies
// its own trailing payload to memory, hashes it and returns a zero byte and the 32-byte digest
// (the returned bytes become code: a digest starting with 0xef alone would be refused by EIP-3541,
// one input in 256).
describe('keccak256 against anvil (revm) KECCAK256', () => {
  let node: AnvilNode;
  beforeAll(async () => {
    node = await startAnvil({});
  });
  afterAll(async () => {
    await node?.stop();
  });

  function hashingInitCode(payload: Uint8Array): Uint8Array {
    const len = [payload.length >>> 8, payload.length & 0xff];
    const after = [(payload.length + 1) >>> 8, (payload.length + 1) & 0xff];
    const header = [
      0x61, ...len, // PUSH2 len
      0x61, 0x00, 25, // PUSH2 25 (header size: the payload's offset in the code)
      0x60, 0x00, // PUSH1 0
      0x39, // CODECOPY(mem 0, code 23, len)
      0x61, ...len, // PUSH2 len
      0x60, 0x00, // PUSH1 0
      0x20, // KECCAK256(mem 0, len)
      0x61, ...after, // PUSH2 len + 1
      0x52, // MSTORE past the payload: memory[len] stays zero
      0x60, 0x21, // PUSH1 33
      0x61, ...len, // PUSH2 len
      0xf3, // RETURN(mem len, 33)
    ];
    expect(header.length).toBe(25);
    const code = new Uint8Array(header.length + payload.length);
    code.set(header);
    code.set(payload, header.length);
    return code;
  }

  async function evmKeccak(payload: Uint8Array): Promise<string> {
    const res = await fetch(node.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_call',
        params: [{ data: bytesToHex(hashingInitCode(payload)), gas: '0x1c9c380' }, 'latest'],
      }),
    });
    const body = (await res.json()) as { result?: string; error?: { message: string } };
    if (body.result === undefined) throw new Error(`eth_call failed: ${body.error?.message ?? 'no result'}`);
    const out = hexToBytes(body.result);
    expect(out.length).toBe(33);
    expect(out[0]).toBe(0);
    return bytesToHex(out.subarray(1)).toLowerCase();
  }

  it('agrees on inputs across block boundaries up to 40 000 bytes', async () => {
    for (const n of [0, 1, 32, 64, 135, 136, 137, 271, 272, 273, 1000, 4097, 40_000]) {
      const payload = randomBytes(n);
      expect(hex(keccak256(payload)), `length ${n}`).toBe(await evmKeccak(payload));
    }
  });
});
