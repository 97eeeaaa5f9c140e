// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibRLP} from "./LibRLP.sol";

/// @dev An EIP-7702 authorization as setDelegations reads it: its authority recovered (zero when
///      the signature names none: yParity not 0/1, r or s out of range, no key).
struct TxAuth {
    uint256 chainId;
    address to;
    uint256 nonce;
    address authority;
}

/// @dev A decoded transaction of any type MetisVM runs (toTxRequest's view of it).
struct DecodedTx {
    uint256 txType;
    bool hasChainId;
    uint256 chainId;
    uint256 nonce;
    uint256 maxPriority; // the gas price for types 0 and 1
    uint256 maxFee; // the gas price for types 0 and 1
    uint256 gasLimit;
    bool create;
    address to;
    uint256 value;
    bytes data;
    uint256 dataZeros;
    address[] accessAddresses; // one per access list entry, repeats kept
    bytes32[] accessSlots; // keccak(address ‖ key) per storage key, repeats kept
    uint256 maxFeePerBlobGas; // type 3
    bytes32[] blobHashes; // type 3
    TxAuth[] auths; // type 4
    address sender; // zero: the signature names no sender (recoverSender throws)
    // Set by the begin step, not here.
    uint256 intrinsic;
    uint256 floor;
    uint256 blobPrice;
}

/// @notice decodeTransaction, recoverSender and recoverAuthority (vm/tx/codec.ts,
///         vm/tx/signature.ts) for the EIP-2718 envelopes MetisVM runs: legacy (EIP-155 or not),
///         EIP-2930, EIP-1559, EIP-4844 (canonical form, no network wrapper) and EIP-7702; then
///         txBegin's chain id check and beginTransaction's rules (vm/execution/transaction.ts) up
///         to the sender's account: intrinsic gas and the EIP-7623 floor, the nonce limit, init
///         code size, Osaka's gas cap, the block's gas and blob gas left, the fee caps, the blob
///         rules (Osaka's per-transaction count, version byte, the blob base fee). MetisTxBeginStep
///         calls `begin` (deployed apart: the begin step would pass EIP-170 with it) and checks
///         the account rules itself.
///         It reverts exactly where the reference's decoder throws (TxDecodeError, its RlpErrors
///         included): MalformedTransaction() for a field rule (type byte, field count, an integer
///         longer than its field, a `to` or address not of 20 bytes, a creation of type 3 or 4,
///         no blob hashes, no authorizations), LibRLP's errors for the RLP itself (truncated,
///         non-canonical, trailing bytes, a list where a string belongs and back, an integer with a
///         leading zero, a word not of 32 bytes). Every list is walked, so every item the
///         reference's full decode checks is checked. A signature naming no sender is not an error
///         here: `invalid` (the begin step gives the invalid block for both).
contract MetisTxDecoder {
    /// @dev The reference's decodeTransaction throws TxDecodeError for these bytes.
    error MalformedTransaction();

    /// @dev The blob base fee's Taylor series passes 2^256 before it passes the blob fee cap
    ///      (an excessBlobGas no chain reaches: the fee would be beyond 2^200 wei).
    error BlobBaseFeeUnsupported();

    uint256 internal constant SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    uint256 internal constant FORK_PRAGUE = 1;
    uint256 internal constant FORK_OSAKA = 2;
    uint256 internal constant NONCE_LIMIT = 2 ** 64 - 1;
    uint256 internal constant MAX_INIT_CODE_SIZE = 49152;
    uint256 internal constant PER_EMPTY_ACCOUNT_COST = 25000;
    uint256 internal constant GAS_PER_BLOB = 131072;
    /// @dev EIP-7594: blobs per transaction from Osaka (BLOB_COUNT_LIMIT_OSAKA).
    uint256 internal constant BLOB_COUNT_LIMIT_OSAKA = 6;

    /// @notice decodeTransaction, then txBegin's chain id check and recoverSender, then
    ///         beginTransaction's rules up to the sender's account, in its order: `invalid` when
    ///         one rejects the transaction; else t.intrinsic, t.floor and t.blobPrice set and
    ///         `cost` the most it may spend (gasLimit·maxFee + blobGas·maxFeePerBlobGas + value),
    ///         which the begin step checks against the sender's balance. b is the block context
    ///         record, gasUsed and blobGasUsed the block's so far.
    function begin(bytes calldata raw, uint256[12] calldata b, uint256 gasUsed, uint256 blobGasUsed)
        external
        pure
        returns (DecodedTx memory t, bool invalid, uint256 cost)
    {
        t = _decode(raw);
        if (t.hasChainId && t.chainId != b[1]) return (t, true, 0);
        if (t.sender == address(0)) return (t, true, 0);
        // Past 2^256 no balance covers it, and every rule after the fee caps rejects it.
        bool fits;
        (fits, cost) = _maxCost(t, GAS_PER_BLOB * t.blobHashes.length);
        invalid = _rulesInvalid(t, b, gasUsed, blobGasUsed, fits);
    }

    function _decode(bytes calldata raw) internal pure returns (DecodedTx memory t) {
        if (raw.length == 0) revert MalformedTransaction();
        uint8 first = uint8(raw[0]);
        bytes memory body;
        if (first >= 0xc0) {
            body = raw;
        } else {
            // 0x80..0xbf is neither a type nor a list; types 1..4 only.
            if (first == 0 || first > 4) revert MalformedTransaction();
            t.txType = first;
            body = raw[1:];
        }
        LibRLP.Item[] memory f = LibRLP.readList(LibRLP.toItem(body));
        uint256 n = first >= 0xc0 ? 9 : [uint256(11), 12, 14, 13][first - 1];
        if (f.length != n) revert MalformedTransaction();
        // The unsigned fields: nonce..data (legacy) or chainId..accessList (typed), then the
        // type's own (max_fee_per_blob_gas and blob_versioned_hashes, authorization_list).
        uint256 o = t.txType == 0 ? 0 : 1;
        if (o == 1) {
            t.hasChainId = true;
            t.chainId = _uint(f[0], 32);
        }
        t.nonce = _uint(f[o], 8);
        t.maxPriority = _uint(f[o + 1], 32);
        uint256 q = o + 2;
        if (t.txType >= 2) q++;
        t.maxFee = _uint(f[q - 1], 32);
        t.gasLimit = _uint(f[q], 8);
        uint256 toLen = LibRLP.bytesLength(f[q + 1]);
        if (toLen != 0 && toLen != 20) revert MalformedTransaction();
        t.create = toLen == 0;
        if (t.create && t.txType >= 3) revert MalformedTransaction();
        if (!t.create) t.to = address(bytes20(LibRLP.toBytes(f[q + 1])));
        t.value = _uint(f[q + 2], 32);
        t.data = LibRLP.toBytes(f[q + 3]);
        t.dataZeros = _zeroBytes(t.data);
        uint256 unsigned = q + 4;
        if (t.txType != 0) {
            _accessList(t, f[q + 4]);
            unsigned = q + 5;
        }
        if (t.txType == 3) {
            t.maxFeePerBlobGas = _uint(f[q + 5], 32);
            LibRLP.Item[] memory hs = LibRLP.readList(f[q + 6]);
            if (hs.length == 0) revert MalformedTransaction();
            t.blobHashes = new bytes32[](hs.length);
            for (uint256 i = 0; i < hs.length; i++) t.blobHashes[i] = LibRLP.toBytes32(hs[i]);
            unsigned = q + 7;
        }
        if (t.txType == 4) {
            _authorizations(t, f[q + 5]);
            unsigned = q + 6;
        }
        _recover(t, f, unsigned);
    }

    /// @dev A canonical integer of at most `maxBytes` bytes (rlpToBigInt).
    function _uint(LibRLP.Item memory it, uint256 maxBytes) internal pure returns (uint256) {
        if (LibRLP.bytesLength(it) > maxBytes) revert MalformedTransaction();
        return LibRLP.toUint(it);
    }

    function _address(LibRLP.Item memory it) internal pure returns (address) {
        if (LibRLP.bytesLength(it) != 20) revert MalformedTransaction();
        return address(bytes20(LibRLP.toBytes(it)));
    }

    /// @dev decodeAccessList: entries of exactly [address, [32-byte keys]].
    function _accessList(DecodedTx memory t, LibRLP.Item memory list) internal pure {
        LibRLP.Item[] memory al = LibRLP.readList(list);
        uint256 slots = 0;
        LibRLP.Item[][] memory keys = new LibRLP.Item[][](al.length);
        t.accessAddresses = new address[](al.length);
        for (uint256 i = 0; i < al.length; i++) {
            LibRLP.Item[] memory pair = LibRLP.readList(al[i]);
            if (pair.length != 2) revert MalformedTransaction();
            keys[i] = LibRLP.readList(pair[1]);
            t.accessAddresses[i] = _address(pair[0]);
            slots += keys[i].length;
        }
        t.accessSlots = new bytes32[](slots);
        uint256 n = 0;
        for (uint256 i = 0; i < al.length; i++) {
            for (uint256 j = 0; j < keys[i].length; j++) {
                t.accessSlots[n++] = keccak256(abi.encodePacked(t.accessAddresses[i], LibRLP.toBytes32(keys[i][j])));
            }
        }
    }

    /// @dev decodeAuthorizations (a non-empty list of [chainId, address, nonce (8 bytes),
    ///      yParity (1 byte), r, s]) and recoverAuthority of each.
    function _authorizations(DecodedTx memory t, LibRLP.Item memory item) internal pure {
        LibRLP.Item[] memory list = LibRLP.readList(item);
        if (list.length == 0) revert MalformedTransaction();
        t.auths = new TxAuth[](list.length);
        for (uint256 i = 0; i < list.length; i++) {
            LibRLP.Item[] memory a = LibRLP.readList(list[i]);
            if (a.length != 6) revert MalformedTransaction();
            TxAuth memory x = t.auths[i];
            x.chainId = _uint(a[0], 32);
            x.to = _address(a[1]);
            x.nonce = _uint(a[2], 8);
            uint256 y = _uint(a[3], 1);
            uint256 r = _uint(a[4], 32);
            uint256 s = _uint(a[5], 32);
            if (y > 1 || r == 0 || r >= SECP256K1_N || s == 0 || s > SECP256K1_N >> 1) continue;
            bytes memory payload = bytes.concat(LibRLP.encodeUint(x.chainId), LibRLP.toRaw(a[1]), LibRLP.encodeUint(x.nonce));
            bytes32 digest = keccak256(bytes.concat(hex"05", LibRLP.encodeLength(payload.length, 0xc0), payload));
            x.authority = ecrecover(digest, uint8(27 + y), bytes32(r), bytes32(s));
        }
    }

    /// @dev The zero bytes of `b`, a word at a time: a byte loop was ~70 gas a calldata byte.
    function _zeroBytes(bytes memory b) internal pure returns (uint256 zeros) {
        uint256 nonzero;
        assembly ("memory-safe") {
            let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
            let p := add(b, 32)
            let e := add(p, mload(b))
            for {} lt(p, e) { p := add(p, 32) } {
                let x := mload(p)
                // Past the end, only the first e - p bytes of the last word are b's.
                if lt(sub(e, p), 32) { x := and(x, not(sub(shl(shl(3, sub(32, sub(e, p))), 1), 1))) }
                // Bit 0 of each byte becomes the OR of its 8 bits (the shifts stay inside bytes
                // for the bits kept), then the bytes' sum lands in the top byte (at most 32).
                x := or(x, shr(4, x))
                x := or(x, shr(2, x))
                x := and(or(x, shr(1, x)), ones)
                nonzero := add(nonzero, shr(248, mul(x, ones)))
            }
        }
        zeros = b.length - nonzero;
    }

    /// @dev recoverSender: t.sender stays zero when the signature names no sender.
    function _recover(DecodedTx memory t, LibRLP.Item[] memory f, uint256 unsigned) internal pure {
        uint256 v = _uint(f[unsigned], 32);
        uint256 r = _uint(f[unsigned + 1], 32);
        uint256 s = _uint(f[unsigned + 2], 32);
        // The signing payload.
        bytes memory payload;
        for (uint256 i = 0; i < unsigned; i++) payload = bytes.concat(payload, LibRLP.toRaw(f[i]));
        uint256 parity;
        if (t.txType == 0) {
            if (v == 27 || v == 28) {
                parity = v - 27;
            } else if (v >= 35) {
                parity = (v - 35) & 1;
                t.hasChainId = true;
                t.chainId = (v - 35) >> 1;
                payload = bytes.concat(payload, LibRLP.encodeUint(t.chainId), hex"8080");
            } else {
                return; // no sender: an invalid legacy v
            }
        } else {
            if (v > 1) return;
            parity = v;
        }
        if (r == 0 || r >= SECP256K1_N || s == 0 || s > SECP256K1_N >> 1) return;
        bytes memory list = bytes.concat(LibRLP.encodeLength(payload.length, 0xc0), payload);
        bytes32 digest = t.txType == 0 ? keccak256(list) : keccak256(bytes.concat(bytes1(uint8(t.txType)), list));
        t.sender = ecrecover(digest, uint8(27 + parity), bytes32(r), bytes32(s));
    }

    // ---- beginTransaction's rules before the account -------------------------------------

    /// @dev beginTransaction's rules that read no account, in its order.
    function _rulesInvalid(DecodedTx memory t, uint256[12] calldata b, uint256 gasUsed, uint256 used, bool fits) internal pure returns (bool) {
        uint256 fork = b[2];
        if (t.txType == 4 && fork < FORK_PRAGUE) return true;
        // intrinsicGas (vm/tx/gas.ts), the EIP-7623 floor from Prague on.
        uint256 nonZeros = t.data.length - t.dataZeros;
        uint256 intrinsic = 21000 + 4 * t.dataZeros + 16 * nonZeros + 2400 * t.accessAddresses.length + 1900 * t.accessSlots.length;
        if (t.create) intrinsic += 32000 + 2 * ((t.data.length + 31) / 32);
        intrinsic += PER_EMPTY_ACCOUNT_COST * t.auths.length;
        uint256 floor = fork >= FORK_PRAGUE ? 21000 + 10 * (t.dataZeros + 4 * nonZeros) : 0;
        t.intrinsic = intrinsic;
        t.floor = floor;
        if ((intrinsic > floor ? intrinsic : floor) > t.gasLimit) return true;
        if (t.nonce >= NONCE_LIMIT) return true;
        if (t.create && t.data.length > MAX_INIT_CODE_SIZE) return true;
        if (fork >= FORK_OSAKA && t.gasLimit > 1 << 24) return true;
        // check_transaction: the block's gas and blob gas left, the fee caps against the base fee.
        if (gasUsed > b[6] || t.gasLimit > b[6] - gasUsed) return true;
        uint256 maxBlobGas = GAS_PER_BLOB * (fork == 0 ? 6 : 9);
        if (used > maxBlobGas || GAS_PER_BLOB * t.blobHashes.length > maxBlobGas - used) return true;
        if (t.txType >= 2 && t.maxFee < t.maxPriority) return true;
        if (t.maxFee < b[7]) return true;
        if (!fits) return true;
        if (t.txType != 3) return false;
        // The blobs: Osaka's per-transaction cap, version 0x01, the fee cap against the blob base
        // fee (vm/fees.ts blobBaseFee of excessBlobGas; EIP-7918 changes only the excess).
        if (fork >= FORK_OSAKA && t.blobHashes.length > BLOB_COUNT_LIMIT_OSAKA) return true;
        for (uint256 i = 0; i < t.blobHashes.length; i++) if (t.blobHashes[i][0] != 0x01) return true;
        (bool above, uint256 price) = _blobBaseFee(b[9], fork == 0 ? 3338477 : 5007716, t.maxFeePerBlobGas);
        t.blobPrice = price;
        return above;
    }

    /// @dev The most the transaction may spend; fits false when it passes 2^256.
    function _maxCost(DecodedTx memory t, uint256 blobGas) internal pure returns (bool, uint256) {
        uint256 m = type(uint256).max;
        if (t.maxFee != 0 && t.gasLimit > m / t.maxFee) return (false, 0);
        uint256 cost = t.gasLimit * t.maxFee;
        if (t.maxFeePerBlobGas != 0 && blobGas > m / t.maxFeePerBlobGas) return (false, 0);
        uint256 blob = blobGas * t.maxFeePerBlobGas;
        if (blob > m - cost) return (false, 0);
        cost += blob;
        if (t.value > m - cost) return (false, 0);
        return (true, cost + t.value);
    }

    /// @dev fake_exponential(1, excess, fraction) (vm/fees.ts fakeExponential), or above = true
    ///      as soon as its partial sum shows it exceeds cap (the sum only grows). cap·blobGas is
    ///      below 2^256 here, so the series passes 2^256 first only for a cap past ~2^200 wei and
    ///      an excess past ~150 update fractions: BlobBaseFeeUnsupported().
    function _blobBaseFee(uint256 excess, uint256 fraction, uint256 cap) internal pure returns (bool above, uint256) {
        uint256 output = 0;
        uint256 accum = fraction;
        for (uint256 i = 1; accum > 0; i++) {
            if (accum > type(uint256).max - output) revert BlobBaseFeeUnsupported();
            output += accum;
            if (output / fraction > cap) return (true, 0);
            if (excess != 0 && accum > type(uint256).max / excess) revert BlobBaseFeeUnsupported();
            accum = (accum * excess) / (fraction * i);
        }
        return (false, output / fraction);
    }

}
