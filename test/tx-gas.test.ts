// Intrinsic gas and the EIP-7623 floor against a real node: transactions signed and
// encoded by vm/tx are sent raw to anvil (revm); when nothing executes (plain transfers
// and calldata to an EOA, creations whose initcode is STOP), receipt.gasUsed must equal
// max(intrinsic, floor). The node also checks our hashes and recovered senders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, http, type Hex as ViemHex, type PublicClient } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { forkRules, type Fork } from '../vm/chain/forks.js';
import {
  addressOfPrivateKey,
  calldataTokens,
  encodeTransaction,
  intrinsicGas,
  recoverAuthority,
  recoverSender,
  signAuthorization,
  signTransaction,
  transactionHash,
  type Transaction,
} from '../vm/tx/index.js';
import { bytesToHex } from '../vm/util/bytes.js';
import type { Address } from '../vm/util/address.js';
import { rng } from './support/rng.js';


const describeTx = (t: Transaction) => `${t.type}${t.to === null ? ' create' : ''} data ${t.data.length}`;

const hex = (v: bigint) => `0x${v.toString(16)}`;

function calldata(r: () => number, len: number, zeroShare: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = r() < zeroShare ? 0 : 1 + Math.floor(r() * 255);
  return b;
}

describe('calldataTokens', () => {
  it('counts zero bytes once and non-zero bytes four times (EIP-7623)', () => {
    expect(calldataTokens(new Uint8Array(0))).toBe(0n);
    expect(calldataTokens(Uint8Array.of(0, 0, 1, 0xff))).toBe(2n + 8n);
  });
});

const GWEI = 1_000_000_000n;

for (const fork of ['osaka', 'cancun'] as const satisfies readonly Fork[]) {
  describe(`intrinsic gas vs anvil (${fork})`, () => {
    let node: AnvilNode;
    let client: PublicClient;
    let chainId: bigint;
    const rules = forkRules(fork);

    beforeAll(async () => {
      node = fork === 'osaka' ? await startAnvil() : await startAnvil({ hardfork: fork });
      client = createPublicClient({ transport: http(node.rpcUrl) });
      chainId = BigInt(await client.getChainId());
    });
    afterAll(async () => {
      await node?.stop();
    });

    it('gasUsed of non-executing transactions equals max(intrinsic, floor)', async () => {
      const r = rng(fork === 'osaka' ? 1 : 2);
      const key = node.privateKeys[0]!;
      const sender = addressOfPrivateKey(key);
      const recipient = addressOfPrivateKey(node.privateKeys[5]!);
      let nonce = BigInt(await client.getTransactionCount({ address: sender as ViemHex }));
      const common = () => ({ nonce: nonce++, gasLimit: 3_000_000n, value: 1000n });
      const fee = { chainId, maxPriorityFeePerGas: GWEI, maxFeePerGas: 100n * GWEI };
      const accessList = [
        { address: recipient, storageKeys: [0n, 1n, 2n ** 255n] },
        { address: '0x000000000000000000000000000000000000beef' as Address, storageKeys: [] },
      ];
      const txs: Transaction[] = [
        { type: 2, ...common(), ...fee, to: recipient, data: new Uint8Array(0), accessList: [] },
        { type: 2, ...common(), ...fee, to: recipient, data: new Uint8Array(100), accessList: [] },
        { type: 2, ...common(), ...fee, to: recipient, data: calldata(r, 300, 0.5), accessList: [] },
        // Mostly non-zero calldata: the EIP-7623 floor exceeds the intrinsic cost after Prague.
        { type: 2, ...common(), ...fee, to: recipient, data: calldata(r, 2000, 0.05), accessList: [] },
        { type: 1, ...common(), chainId, gasPrice: 100n * GWEI, to: recipient, data: calldata(r, 64, 0.3), accessList },
        { type: 0, ...common(), chainId, gasPrice: 100n * GWEI, to: recipient, data: calldata(r, 500, 0.2) },
        // Creations whose initcode is all STOP: 53000 plus EIP-3860 initcode words, no code deposited.
        { type: 2, ...common(), ...fee, to: null, value: 0n, data: new Uint8Array(0), accessList: [] },
        { type: 2, ...common(), ...fee, to: null, value: 0n, data: new Uint8Array(1000), accessList: [] },
        { type: 0, ...common(), chainId, gasPrice: 100n * GWEI, to: null, value: 0n, data: new Uint8Array(33) },
      ];
      if (rules.isEip7702) {
        // Fresh authorities (no account yet): PER_EMPTY_ACCOUNT_COST each with no refund.
        const authorizationList = [31, 32].map((i) =>
          signAuthorization({ chainId, address: '0x00000000000000000000000000000000000000aa' as Address, nonce: 0n }, bytesToHex(new Uint8Array(32).fill(i))),
        );
        txs.push({ type: 4, ...common(), ...fee, to: recipient, data: calldata(r, 40, 0.5), accessList: [], authorizationList });
      }
      /** eth_call of the transaction with the given gas limit: 'ok' or the node's error. */
      const callOutcome = (t: Transaction, gas: bigint): Promise<string> => {
        const call: Record<string, unknown> = {
          from: sender,
          data: bytesToHex(t.data),
          value: hex(t.value),
          gas: hex(gas),
          nonce: hex(t.nonce),
          type: hex(BigInt(t.type)),
        };
        if (t.to !== null) call['to'] = t.to;
        if (t.type === 0 || t.type === 1) call['gasPrice'] = hex(t.gasPrice);
        else {
          call['maxFeePerGas'] = hex(t.maxFeePerGas);
          call['maxPriorityFeePerGas'] = hex(t.maxPriorityFeePerGas);
        }
        if (t.type !== 0) call['accessList'] = t.accessList.map((e) => ({ address: e.address, storageKeys: e.storageKeys.map((k) => `0x${k.toString(16).padStart(64, '0')}`) }));
        if (t.type === 4) {
          call['authorizationList'] = t.authorizationList.map((a) => ({
            chainId: hex(a.chainId), address: a.address, nonce: hex(a.nonce), yParity: hex(a.yParity), r: hex(a.r), s: hex(a.s),
          }));
        }
        return client
          .request({ method: 'eth_call', params: [call as never, 'latest'] })
          .then(() => 'ok', (e: Error) => e.message);
      };
      for (const unsigned of txs) {
        const need = (({ intrinsic, floor }) => (intrinsic > floor ? intrinsic : floor))(intrinsicGas(unsigned, rules));
        // The node's own validation (eth_call runs revm's initial-gas checks; anvil's pool
        // admission does not check calldata cost) refuses one gas short of max(intrinsic, floor).
        expect(await callOutcome(unsigned, need - 1n), `type ${describeTx(unsigned)}, need ${need}`).toMatch(/gas/i);
        expect(await callOutcome(unsigned, need), `type ${describeTx(unsigned)}, need ${need}`).toBe('ok');
        // Exactly enough is accepted.
        const tx = signTransaction({ ...unsigned, gasLimit: need } as Transaction, key);
        const hash = await client.request({ method: 'eth_sendRawTransaction', params: [bytesToHex(encodeTransaction(tx)) as ViemHex] });
        expect(hash).toBe(bytesToHex(transactionHash(tx)));
        const receipt = await client.waitForTransactionReceipt({ hash });
        expect(receipt.status).toBe('success');
        expect(receipt.from.toLowerCase()).toBe(recoverSender(tx));
        const { intrinsic, floor } = intrinsicGas(tx, rules);
        if (!rules.isEip7623) expect(floor).toBe(0n);
        if (tx.type === 4) {
          // Delegations were applied (our authorization signatures are valid on the node).
          for (const a of tx.authorizationList) {
            const code = await client.getCode({ address: recoverAuthority(a)! as ViemHex });
            expect(code).toBe(`0xef0100${a.address.slice(2)}`);
          }
          // gasUsed may be reduced by the EIP-7702 refund (capped at gasUsed / 5, EIP-3529).
          expect(receipt.gasUsed <= need && receipt.gasUsed >= need - need / 5n).toBe(true);
        } else {
          expect({ type: tx.type, gasUsed: receipt.gasUsed }).toEqual({ type: tx.type, gasUsed: need });
        }
      }
      // The large non-zero calldata case really exercised the floor on Prague+ forks.
      const big = intrinsicGas(txs[3]!, rules);
      if (rules.isEip7623) expect(big.floor).toBeGreaterThan(big.intrinsic);
    });
  });
}
