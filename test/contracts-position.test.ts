// LibPosition (the game's on-chain position arithmetic) executed on anvil, against the shared
// op-challenger vectors, the prover's TypeScript Position and brute-force definitions.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Abi, Address } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { CONTRACT_COMPILE_OPTIONS, readContractSources } from '../contracts/artifacts.js';
import { deployContract, l1Clients, type L1Clients } from '../contracts/deploy.js';
import { compileSolidity, contractNamed } from '../contracts/solc.js';
import { Position } from '../prover/game/position.js';
import { rng } from './support/rng.js';

interface Vectors {
  gindex: { gindex: number; depth: number; indexAtDepth: number }[];
  traceIndex: { depth: number; indexAtDepth: number; maxDepth: number; traceIndex: number }[];
  attack: { gindex: number; attack: number }[];
  defend: { gindex: number; defend: number }[];
}
const vectors = JSON.parse(readFileSync('../shared/fixtures/game/positions.json', 'utf8')) as Vectors;

// Batched so each property is one eth_call over many positions.
const HARNESS = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
import {LibPosition} from "LibPosition.sol";
contract PositionHarness {
    using LibPosition for uint128;
    function depths(uint128[] calldata ps) external pure returns (uint256[] memory r) {
        r = new uint256[](ps.length);
        for (uint256 i = 0; i < ps.length; i++) r[i] = ps[i].depth();
    }
    function indices(uint128[] calldata ps) external pure returns (uint256[] memory r) {
        r = new uint256[](ps.length);
        for (uint256 i = 0; i < ps.length; i++) r[i] = ps[i].indexAtDepth();
    }
    function moves(uint128[] calldata ps, bool isAttack) external pure returns (uint128[] memory r) {
        r = new uint128[](ps.length);
        for (uint256 i = 0; i < ps.length; i++) r[i] = ps[i].move(isAttack);
    }
    function traceIndices(uint128[] calldata ps, uint256 maxDepth) external pure returns (uint256[] memory r) {
        r = new uint256[](ps.length);
        for (uint256 i = 0; i < ps.length; i++) r[i] = ps[i].traceIndex(maxDepth);
    }
    function traceAncestors(uint128[] calldata ps) external pure returns (uint128[] memory r) {
        r = new uint128[](ps.length);
        for (uint256 i = 0; i < ps.length; i++) r[i] = ps[i].traceAncestor();
    }
    function traceAncestorsBounded(uint128[] calldata ps, uint256 bound) external pure returns (uint128[] memory r) {
        r = new uint128[](ps.length);
        for (uint256 i = 0; i < ps.length; i++) r[i] = ps[i].traceAncestorBounded(bound);
    }
}
`;

/** The highest ancestor of `p` (depth >= minDepth) with the same trace index: by definition. */
function bruteTraceAncestor(p: Position, minDepth = 0): bigint {
  const ti = p.traceIndex(p.depth);
  let best = p.gindex;
  for (let a = p; a.depth >= minDepth; a = a.parent()) {
    if (a.traceIndex(p.depth) === ti) best = a.gindex;
    if (a.isRoot()) break;
  }
  return best;
}

describe('LibPosition on chain', () => {
  let node: AnvilNode;
  let clients: L1Clients;
  let harness: Address;
  let abi: Abi;
  const call = <T>(functionName: string, args: readonly unknown[]): Promise<T> =>
    clients.public.readContract({ address: harness, abi, functionName, args }) as Promise<T>;

  beforeAll(async () => {
    node = await startAnvil();
    clients = l1Clients(node.rpcUrl, node.privateKeys[0], { pollingIntervalMs: 50 });
    const artifact = contractNamed(
      compileSolidity({ ...readContractSources(), 'PositionHarness.sol': HARNESS }, CONTRACT_COMPILE_OPTIONS),
      'PositionHarness',
    );
    abi = artifact.abi;
    ({ address: harness } = await deployContract(clients, artifact));
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('matches the shared op-challenger vectors', async () => {
    const g = vectors.gindex.map((v) => BigInt(v.gindex));
    expect(await call<bigint[]>('depths', [g])).toEqual(vectors.gindex.map((v) => BigInt(v.depth)));
    expect(await call<bigint[]>('indices', [g])).toEqual(vectors.gindex.map((v) => BigInt(v.indexAtDepth)));
    expect(await call<bigint[]>('moves', [vectors.attack.map((v) => BigInt(v.gindex)), true])).toEqual(
      vectors.attack.map((v) => BigInt(v.attack)),
    );
    expect(await call<bigint[]>('moves', [vectors.defend.map((v) => BigInt(v.gindex)), false])).toEqual(
      vectors.defend.map((v) => BigInt(v.defend)),
    );
    for (const v of vectors.traceIndex) {
      const p = Position.at(v.depth, BigInt(v.indexAtDepth));
      expect(await call<bigint[]>('traceIndices', [[p.gindex], BigInt(v.maxDepth)])).toEqual([BigInt(v.traceIndex)]);
    }
  });

  it('agrees with the TypeScript Position and the definitions on random positions down to depth 125', async () => {
    const rand = rng(73);
    const positions: Position[] = [];
    for (let i = 0; i < 200; i++) {
      const depth = 1 + Math.floor(rand() * 125);
      let index = 0n;
      for (let b = 0; b < depth; b++) index = (index << 1n) | (rand() < 0.5 ? 0n : 1n);
      // Claims sit at even gindices (left children) except the root; keep both kinds.
      positions.push(Position.at(depth, index));
    }
    const g = positions.map((p) => p.gindex);
    expect(await call<bigint[]>('depths', [g])).toEqual(positions.map((p) => BigInt(p.depth)));
    expect(await call<bigint[]>('indices', [g])).toEqual(positions.map((p) => p.indexAtDepth));
    const shallow = positions.filter((p) => p.depth < 125);
    expect(await call<bigint[]>('moves', [shallow.map((p) => p.gindex), true])).toEqual(shallow.map((p) => p.attack().gindex));
    const even = shallow.filter((p) => p.gindex % 2n === 0n);
    expect(await call<bigint[]>('moves', [even.map((p) => p.gindex), false])).toEqual(even.map((p) => p.defend().gindex));
    expect(await call<bigint[]>('traceIndices', [g, 126n])).toEqual(positions.map((p) => p.traceIndex(126)));
    expect(await call<bigint[]>('traceAncestors', [g])).toEqual(positions.map((p) => bruteTraceAncestor(p)));
    const below = positions.filter((p) => p.depth > 30);
    expect(await call<bigint[]>('traceAncestorsBounded', [below.map((p) => p.gindex), 30n])).toEqual(
      below.map((p) => bruteTraceAncestor(p, 31)),
    );
    // The right edge (all ones) climbs to the root; above the bound is refused.
    expect(await call<bigint[]>('traceAncestors', [[7n, 1n]])).toEqual([1n, 1n]);
    await expect(call<bigint[]>('traceAncestorsBounded', [[4n], 2n])).rejects.toThrow(/PositionAboveBound/);
  });
});
