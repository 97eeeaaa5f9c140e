// A varied transaction load for anvil, sent through viem: deployments of small
// Solidity contracts, ERC-20 transfers, storage-heavy calls (writes and
// clears), CREATE2 (with a create-and-selfdestruct in one transaction),
// reverts, logs, TSTORE/TLOAD + MCOPY + BLOBBASEFEE, EIP-7702 delegations
// (prague and later), legacy, EIP-2930 and EIP-1559 transfers; some blocks hold
// one transaction, some several (automine off + evm_mine).
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  http,
  type Abi,
  type Hex,
  type PublicClient,
  type WalletClient,
  type Chain,
  type Transport,
  type Account,
} from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { compileSolidity, type CompiledContract } from '../../contracts/solc.js';

export type LoadFork = 'cancun' | 'prague' | 'osaka';

export interface LoadOptions {
  readonly fork: LoadFork;
  readonly chainId?: number;
  /** Rounds of the mixed call section (each round adds ~12 transactions). Default 2. */
  readonly rounds?: number;
}

export interface LoadResult {
  readonly fromBlock: bigint;
  readonly toBlock: bigint;
  readonly txHashes: readonly Hex[];
  readonly contracts: Readonly<Record<string, Hex>>;
}

export const LOAD_SOURCES: Readonly<Record<string, string>> = {
  'Load.sol': `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

contract Token {
  mapping(address => uint256) public balanceOf;
  mapping(address => mapping(address => uint256)) public allowance;
  uint256 public totalSupply;
  event Transfer(address indexed from, address indexed to, uint256 value);
  event Approval(address indexed owner, address indexed spender, uint256 value);
  constructor(uint256 supply) { balanceOf[msg.sender] = supply; totalSupply = supply; emit Transfer(address(0), msg.sender, supply); }
  function transfer(address to, uint256 v) external returns (bool) {
    require(balanceOf[msg.sender] >= v, "balance");
    balanceOf[msg.sender] -= v; balanceOf[to] += v; emit Transfer(msg.sender, to, v); return true;
  }
  function approve(address s, uint256 v) external returns (bool) { allowance[msg.sender][s] = v; emit Approval(msg.sender, s, v); return true; }
  function transferFrom(address f, address to, uint256 v) external returns (bool) {
    require(allowance[f][msg.sender] >= v, "allowance");
    allowance[f][msg.sender] -= v; require(balanceOf[f] >= v, "balance");
    balanceOf[f] -= v; balanceOf[to] += v; emit Transfer(f, to, v); return true;
  }
}

contract StorageLoop {
  mapping(uint256 => uint256) public slots;
  uint256 public counter;
  function fill(uint256 n, uint256 seed) external { for (uint256 i = 0; i < n; i++) slots[i] = uint256(keccak256(abi.encode(seed, i))); counter += n; }
  function clear(uint256 n) external { for (uint256 i = 0; i < n; i++) delete slots[i]; counter = 0; }
  function sum(uint256 n) external view returns (uint256 s) { for (uint256 i = 0; i < n; i++) s += slots[i]; }
}

contract Child {
  uint256 public value; address public owner;
  constructor(uint256 v) payable { value = v; owner = msg.sender; }
  function kill() external { selfdestruct(payable(owner)); }
}

contract Factory {
  event Deployed(address child, bytes32 salt);
  function deploy(bytes32 salt, uint256 v) external returns (address c) { c = address(new Child{salt: salt}(v)); emit Deployed(c, salt); }
  function deployAndKill(bytes32 salt) external payable returns (address c) {
    Child ch = new Child{salt: salt, value: msg.value}(7); ch.kill(); c = address(ch);
  }
  function killOld(address c) external { Child(c).kill(); }
  receive() external payable {}
}

contract Reverter {
  uint256 public touched;
  error Nope(uint256 code);
  function fail() external { touched = 1; revert("always fails"); }
  function failCustom(uint256 c) external { touched = c; revert Nope(c); }
  function maybe(uint256 x) external { touched = x; require(x < 10, "too big"); }
  function outOfGas() external { for (uint256 i = 0; ; i++) touched = i; }
  function inner(address r) external { touched = 5; try Reverter(r).fail() {} catch {} touched += 1; }
}

contract Logger {
  event A(uint256 indexed a, bytes32 indexed b, address indexed c, bytes data);
  event B(string s);
  event Anon(uint256 a) anonymous;
  function emitMany(uint256 n) external {
    for (uint256 i = 0; i < n; i++) emit A(i, keccak256(abi.encode(i)), msg.sender, abi.encodePacked(i, block.number));
    emit B("hello, logs");
    emit Anon(n);
    assembly { log0(0, 0) }
  }
}

contract Transient {
  uint256 public lastFee; bytes32 public lastHash; uint256 public copied;
  function run(bytes calldata data) external returns (bytes32) {
    assembly {
      tstore(1, calldataload(data.offset))
      tstore(2, add(tload(1), 1))
      sstore(2, tload(2))
    }
    bytes memory m = data;
    bytes memory out = new bytes(m.length);
    assembly { mcopy(add(out, 32), add(m, 32), mload(m)) }
    lastFee = block.blobbasefee;
    lastHash = keccak256(out);
    copied = out.length;
    return lastHash;
  }
  function reentrant() external returns (uint256 v) {
    assembly { tstore(7, 42) }
    v = this.peek();
  }
  function peek() external view returns (uint256 v) { assembly { v := tload(7) } }
}

// Delegation target for EIP-7702: code run in the authority's own account.
contract Wallet {
  uint256 public calls;
  event Called(address from, uint256 n, uint256 value);
  function ping(uint256 n) external payable { calls += n; emit Called(msg.sender, calls, msg.value); }
  function sweep(address payable to, uint256 v) external { to.transfer(v); }
}
`,
};

let compiled: Map<string, CompiledContract> | null = null;

/** The load's contracts, compiled once per process. */
export function loadContracts(): Map<string, CompiledContract> {
  if (compiled === null) {
    const out = compileSolidity(LOAD_SOURCES, { evmVersion: 'cancun' });
    compiled = new Map(out.contracts.map((c) => [c.contractName, c]));
  }
  return compiled;
}

export interface LoadClients {
  readonly chain: Chain;
  readonly pub: PublicClient;
  readonly wallets: readonly WalletClient<Transport, Chain, Account>[];
  readonly accounts: readonly PrivateKeyAccount[];
}

export function loadClients(rpcUrl: string, privateKeys: readonly Hex[], chainId = 31337): LoadClients {
  const chain: Chain = {
    id: chainId,
    name: 'anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  };
  const transport = http(rpcUrl, { retryCount: 0, timeout: 120_000 });
  const accounts = privateKeys.map((k) => privateKeyToAccount(k));
  return {
    chain,
    pub: createPublicClient({ chain, transport }) as PublicClient,
    wallets: accounts.map((account) => createWalletClient({ account, chain, transport })),
    accounts,
  };
}

/** Calls an anvil-specific method (evm_mine, evm_setAutomine). */
async function anvilCall(c: LoadClients, method: string, params: unknown[]): Promise<unknown> {
  return c.pub.request({ method: method as 'eth_chainId', params: params as never });
}

/** Deploys a compiled contract; returns its address. */
export async function deploy(c: LoadClients, wallet: number, name: string, args: readonly unknown[] = []): Promise<Hex> {
  const contract = loadContracts().get(name);
  if (!contract) throw new Error(`no contract ${name}`);
  const hash = await c.wallets[wallet]!.deployContract({ abi: contract.abi, bytecode: contract.bytecode, args: args as never });
  const r = await c.pub.waitForTransactionReceipt({ hash });
  if (r.status !== 'success' || !r.contractAddress) throw new Error(`deploying ${name} failed`);
  return r.contractAddress;
}

export function calldata(name: string, fn: string, args: readonly unknown[] = []): Hex {
  const abi: Abi = loadContracts().get(name)!.abi;
  return encodeFunctionData({ abi, functionName: fn, args } as never);
}

/** Init code that deploys `runtime` as is (for raw-bytecode contracts). */
export function initCodeFor(runtime: Hex): Hex {
  const n = (runtime.length - 2) / 2;
  if (n > 0xffff) throw new RangeError('runtime too large');
  const len = n.toString(16).padStart(4, '0');
  // PUSH2 len, DUP1, PUSH1 0x0c, PUSH1 0, CODECOPY, PUSH1 0, RETURN  (12-byte prelude)
  return `0x61${len}80600c6000396000f3${runtime.slice(2)}` as Hex;
}

interface Sent {
  readonly hash: Hex;
}

/** Sends the load. Returns the block range it spans and every transaction hash. */
export async function sendVariedLoad(rpcUrl: string, privateKeys: readonly Hex[], opts: LoadOptions): Promise<LoadResult> {
  const c = loadClients(rpcUrl, privateKeys, opts.chainId ?? 31337);
  const hashes: Hex[] = [];
  const fromBlock = (await c.pub.getBlockNumber({ cacheTime: 0 })) + 1n;
  const [w0, w1, w2] = [c.wallets[0]!, c.wallets[1]!, c.wallets[2]!];
  const [a0, a1, a2, a3] = [c.accounts[0]!, c.accounts[1]!, c.accounts[2]!, c.accounts[3]!];
  const track = async (p: Promise<Hex>): Promise<Sent> => {
    const hash = await p;
    hashes.push(hash);
    return { hash };
  };
  const mined = async (p: Promise<Hex>): Promise<void> => {
    const { hash } = await track(p);
    await c.pub.waitForTransactionReceipt({ hash });
  };

  // One block per transaction (automine): deployments.
  const addrs: Record<string, Hex> = {};
  for (const [name, args] of [
    ['Token', [10n ** 24n]],
    ['StorageLoop', []],
    ['Factory', []],
    ['Reverter', []],
    ['Logger', []],
    ['Transient', []],
    ['Wallet', []],
  ] as const) {
    const contract = loadContracts().get(name)!;
    const hash = await w0.deployContract({ abi: contract.abi, bytecode: contract.bytecode, args: args as never });
    hashes.push(hash);
    const r = await c.pub.waitForTransactionReceipt({ hash });
    if (r.status !== 'success' || !r.contractAddress) throw new Error(`deploying ${name} failed`);
    addrs[name] = r.contractAddress;
  }

  const gas = 3_000_000n;
  const rounds = opts.rounds ?? 2;
  for (let round = 0; round < rounds; round++) {
    // Single-transaction blocks.
    await mined(w0.sendTransaction({ to: addrs.Token!, data: calldata('Token', 'transfer', [a1.address, 1000n + BigInt(round)]) }));
    await mined(w0.sendTransaction({ to: addrs.StorageLoop!, data: calldata('StorageLoop', 'fill', [40n, BigInt(round)]), gas }));
    await mined(w1.sendTransaction({ to: a2.address, value: 10n ** 15n, type: 'legacy', gasPrice: 3_000_000_000n }));
    await mined(w2.sendTransaction({ to: addrs.Reverter!, data: calldata('Reverter', 'fail'), gas: 200_000n }));

    // Several transactions in one block.
    await anvilCall(c, 'evm_setAutomine', [false]);
    const batch: Promise<Sent>[] = [];
    let n0 = await c.pub.getTransactionCount({ address: a0.address, blockTag: 'pending' });
    let n1 = await c.pub.getTransactionCount({ address: a1.address, blockTag: 'pending' });
    let n2 = await c.pub.getTransactionCount({ address: a2.address, blockTag: 'pending' });
    const feeFields = { maxFeePerGas: 20_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n + BigInt(round) };
    batch.push(track(w0.sendTransaction({ to: addrs.Token!, data: calldata('Token', 'approve', [a1.address, 5000n]), gas, nonce: n0++, ...feeFields })));
    batch.push(track(w1.sendTransaction({ to: addrs.Token!, data: calldata('Token', 'transferFrom', [a0.address, a3.address, 700n]), gas, nonce: n1++, ...feeFields })));
    batch.push(track(w1.sendTransaction({ to: addrs.Token!, data: calldata('Token', 'transfer', [a2.address, 100n]), gas, nonce: n1++, ...feeFields })));
    batch.push(track(w0.sendTransaction({ to: addrs.Factory!, data: calldata('Factory', 'deploy', [`0x${(round + 1).toString(16).padStart(64, '0')}`, 99n]), gas, nonce: n0++, ...feeFields })));
    batch.push(track(w0.sendTransaction({ to: addrs.Factory!, data: calldata('Factory', 'deployAndKill', [`0x${(round + 100).toString(16).padStart(64, '0')}`]), value: 12345n, gas, nonce: n0++, ...feeFields })));
    batch.push(track(w2.sendTransaction({ to: addrs.Logger!, data: calldata('Logger', 'emitMany', [3n + BigInt(round)]), gas, nonce: n2++, ...feeFields })));
    batch.push(track(w2.sendTransaction({ to: addrs.Reverter!, data: calldata('Reverter', 'maybe', [BigInt(8 + round * 5)]), gas: 100_000n, nonce: n2++, ...feeFields })));
    batch.push(track(w2.sendTransaction({ to: addrs.Reverter!, data: calldata('Reverter', 'failCustom', [77n]), gas: 100_000n, nonce: n2++, ...feeFields })));
    batch.push(track(w2.sendTransaction({ to: addrs.Reverter!, data: calldata('Reverter', 'inner', [addrs.Reverter!]), gas: 200_000n, nonce: n2++, ...feeFields })));
    batch.push(track(w1.sendTransaction({ to: addrs.Transient!, data: calldata('Transient', 'run', [`0x${'ab'.repeat(70 + round)}`]), gas, nonce: n1++, ...feeFields })));
    batch.push(track(w1.sendTransaction({ to: addrs.Transient!, data: calldata('Transient', 'reentrant'), gas, nonce: n1++, ...feeFields })));
    batch.push(track(w0.sendTransaction({ to: a3.address, value: 1n, type: 'eip2930', gasPrice: 5_000_000_000n, accessList: [{ address: addrs.Token!, storageKeys: [`0x${'00'.repeat(31)}01`] }], gas: 60_000n, nonce: n0++ })));
    batch.push(track(w0.sendTransaction({ to: addrs.StorageLoop!, data: calldata('StorageLoop', 'clear', [20n]), gas, nonce: n0++, ...feeFields })));
    await Promise.all(batch);
    await anvilCall(c, 'evm_mine', []);
    await anvilCall(c, 'evm_setAutomine', [true]);
    // Out of gas inside a call (whole gas limit consumed).
    await mined(w2.sendTransaction({ to: addrs.Reverter!, data: calldata('Reverter', 'outOfGas'), gas: 80_000n }));
  }

  if (opts.fork !== 'cancun') {
    // EIP-7702: a3 delegates to Wallet (sent by a0), then is called through the delegation.
    const chainId = opts.chainId ?? 31337;
    const nonce = await c.pub.getTransactionCount({ address: a3.address });
    const auth = await a3.signAuthorization({ chainId, address: addrs.Wallet!, nonce });
    await mined(w0.sendTransaction({ to: a3.address, authorizationList: [auth], data: calldata('Wallet', 'ping', [3n]), value: 5n, gas: 200_000n }));
    await mined(w1.sendTransaction({ to: a3.address, data: calldata('Wallet', 'ping', [4n]), value: 7n, gas: 200_000n }));
    await mined(w1.sendTransaction({ to: addrs.Token!, data: calldata('Token', 'transfer', [a3.address, 3n]), gas: 200_000n }));
    // A self-sponsored delegation (authority = sender, nonce + 1) that re-points a2 at Logger.
    const n2 = await c.pub.getTransactionCount({ address: a2.address });
    const self = await a2.signAuthorization({ chainId, address: addrs.Logger!, nonce: n2 + 1 });
    await mined(w2.sendTransaction({ to: a2.address, authorizationList: [self], data: calldata('Logger', 'emitMany', [2n]), gas: 300_000n }));
    // Clearing a delegation (address zero).
    const n3 = await c.pub.getTransactionCount({ address: a3.address });
    const clear = await a3.signAuthorization({ chainId, address: '0x0000000000000000000000000000000000000000', nonce: n3 });
    await mined(w1.sendTransaction({ to: a3.address, authorizationList: [clear], gas: 100_000n }));
  }
  const toBlock = await c.pub.getBlockNumber({ cacheTime: 0 });
  return { fromBlock, toBlock, txHashes: hashes, contracts: addrs };
}
