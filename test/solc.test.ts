import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, createWalletClient, http, parseEventLogs, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { compileSolidity, contractNamed, solcVersion, SolcError } from '../contracts/solc.js';

// A ledger whose behaviour is easy to state: deposits accumulate per sender,
// `total` is their sum, `square` is pure arithmetic, and each deposit emits an event.
const LEDGER = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import {Sq} from "lib/Sq.sol";
contract Ledger {
    event Deposited(address indexed who, uint256 amount, uint256 balance);
    mapping(address => uint256) public balanceOf;
    uint256 public total;
    function deposit(uint256 amount) external {
        require(amount > 0, "zero");
        balanceOf[msg.sender] += amount;
        total += amount;
        emit Deposited(msg.sender, amount, balanceOf[msg.sender]);
    }
    function square(uint256 x) external pure returns (uint256) { return Sq.sq(x); }
}
`;
const SQ = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
library Sq { function sq(uint256 x) internal pure returns (uint256) { return x * x; } }
`;

describe('contracts/solc', () => {
  let node: AnvilNode;
  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('is the pinned compiler', () => {
    expect(solcVersion()).toMatch(/^0\.8\.37\+/);
  });

  it('compiles a contract whose runtime code on anvil behaves as written', async () => {
    const out = compileSolidity({ 'Ledger.sol': LEDGER, 'lib/Sq.sol': SQ }, { evmVersion: 'prague' });
    const ledger = contractNamed(out, 'Ledger');
    expect(ledger.sourceName).toBe('Ledger.sol');
    expect(Object.keys(ledger.linkReferences)).toHaveLength(0);
    expect(out.contracts.map((c) => c.contractName).sort()).toEqual(['Ledger', 'Sq']);

    const account = privateKeyToAccount(node.privateKeys[0]);
    const transport = http(node.rpcUrl);
    const pub = createPublicClient({ chain: foundry, transport });
    const wallet = createWalletClient({ chain: foundry, transport, account });

    const deployHash = await wallet.deployContract({ abi: ledger.abi, bytecode: ledger.bytecode });
    const receipt = await pub.waitForTransactionReceipt({ hash: deployHash });
    expect(receipt.status).toBe('success');
    const address = receipt.contractAddress as Hex;
    // The chain holds exactly the runtime code solc reported (no immutables here).
    expect(await pub.getCode({ address })).toBe(ledger.deployedBytecode);

    for (const amount of [5n, 37n]) {
      const hash = await wallet.writeContract({ address, abi: ledger.abi, functionName: 'deposit', args: [amount] });
      const r = await pub.waitForTransactionReceipt({ hash });
      expect(r.status).toBe('success');
      const [event] = parseEventLogs({ abi: ledger.abi, logs: r.logs, eventName: 'Deposited' });
      expect(event.args).toMatchObject({ who: account.address, amount });
    }
    expect(await pub.readContract({ address, abi: ledger.abi, functionName: 'balanceOf', args: [account.address] })).toBe(42n);
    expect(await pub.readContract({ address, abi: ledger.abi, functionName: 'total' })).toBe(42n);
    expect(await pub.readContract({ address, abi: ledger.abi, functionName: 'square', args: [12345n] })).toBe(12345n * 12345n);
    // require(amount > 0) reverts with the message written in the source.
    await expect(
      pub.simulateContract({ address, abi: ledger.abi, functionName: 'deposit', args: [0n], account }),
    ).rejects.toThrow(/zero/);
    // An overflowing square reverts (checked arithmetic in 0.8).
    await expect(pub.readContract({ address, abi: ledger.abi, functionName: 'square', args: [1n << 200n] })).rejects.toThrow();
  });

  it('gives SolcError with the compiler message on a syntax error', () => {
    let caught: unknown;
    try {
      compileSolidity({ 'Bad.sol': 'pragma solidity ^0.8.0;\ncontract Bad { function f( external {} }\n' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SolcError);
    const err = caught as SolcError;
    expect(err.name).toBe('SolcError');
    expect(err.errors.length).toBeGreaterThan(0);
    expect(err.errors[0].type).toBe('ParserError');
    expect(err.message).toMatch(/ParserError/);
    expect(err.message).toContain('Bad.sol:2');
  });

  it('gives SolcError for an unresolvable import and for a missing contract name', () => {
    expect(() => compileSolidity({ 'A.sol': 'pragma solidity ^0.8.0; import "nope.sol"; contract A {}' })).toThrow(SolcError);
    const out = compileSolidity({ 'A.sol': 'pragma solidity ^0.8.0; contract A {}' });
    expect(() => contractNamed(out, 'B')).toThrow(SolcError);
    expect(() => compileSolidity({})).toThrow(SolcError);
  });
});
