// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMPT} from "../LibMPT.sol";
import {LibRLP} from "../LibRLP.sol";

/// @notice Exposes LibMPT and LibRLP to tests (test/contracts-mpt.test.ts): every function is pure
///         and takes the witness's preimages the way the step verifier receives them.
contract MPTHarness {
    function get(bytes32 root, bytes calldata key, bytes[] memory preimages) external pure returns (bool found, bytes memory value) {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 0);
        return LibMPT.get(s, root, key);
    }

    /// @dev The new root and the nodes the update created (what a later step's witness needs).
    function update(bytes32 root, bytes calldata key, bytes calldata value, bytes[] memory preimages)
        external
        pure
        returns (bytes32 newRoot, bytes[] memory newNodes)
    {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 16);
        newRoot = LibMPT.update(s, root, key, value);
        newNodes = _since(s, preimages.length);
    }

    function remove(bytes32 root, bytes calldata key, bytes[] memory preimages) external pure returns (bytes32 newRoot, bytes[] memory newNodes) {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 16);
        newRoot = LibMPT.remove(s, root, key);
        newNodes = _since(s, preimages.length);
    }

    /// @dev A sequence of writes in one call (an empty value deletes), each reading the nodes the
    ///      earlier ones made; the root after each, and the values read back at the end.
    function applyAll(bytes32 root, bytes[] calldata keys, bytes[] calldata values, bytes[] memory preimages)
        external
        pure
        returns (bytes32[] memory roots, bytes[] memory readBack)
    {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 0);
        roots = new bytes32[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            root = LibMPT.put(s, root, keys[i], values[i]);
            roots[i] = root;
        }
        readBack = new bytes[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) (, readBack[i]) = LibMPT.get(s, root, keys[i]);
    }

    /// @dev Gas of the operation alone (the store already built): `op` 0 get, 1 update, 2 remove.
    function measure(uint8 op, bytes32 root, bytes calldata key, bytes calldata value, bytes[] memory preimages) external view returns (uint256 used) {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 16);
        uint256 before = gasleft();
        if (op == 0) LibMPT.get(s, root, key);
        else if (op == 1) LibMPT.update(s, root, key, value);
        else LibMPT.remove(s, root, key);
        used = before - gasleft();
    }

    // ---- the world state ------------------------------------------------------------------------

    function accountAt(bytes32 worldRoot, address addr, bytes[] memory preimages) external pure returns (LibMPT.Account memory) {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 0);
        return LibMPT.accountAt(s, worldRoot, addr);
    }

    function storageAt(bytes32 worldRoot, address addr, uint256 slot, bytes[] memory preimages) external pure returns (uint256) {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 0);
        return LibMPT.storageAt(s, worldRoot, addr, slot);
    }

    /// @dev Storage writes in order (each reading the nodes the earlier ones made), then account
    ///      replacements and deletions: the state root after each write, and the new nodes.
    function setStorage(bytes32 worldRoot, address[] calldata addrs, uint256[] calldata slots, uint256[] calldata values, bytes[] memory preimages)
        external
        pure
        returns (bytes32[] memory roots, bytes[] memory newNodes)
    {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 16);
        roots = new bytes32[](addrs.length);
        for (uint256 i = 0; i < addrs.length; i++) {
            worldRoot = LibMPT.setStorage(s, worldRoot, addrs[i], slots[i], values[i]);
            roots[i] = worldRoot;
        }
        newNodes = _since(s, preimages.length);
    }

    /// @dev Writes `accounts` (or deletes them, when `exists` is false) in order; the final root.
    function putAccounts(bytes32 worldRoot, address[] calldata addrs, LibMPT.Account[] calldata accounts, bytes[] memory preimages)
        external
        pure
        returns (bytes32)
    {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 0);
        for (uint256 i = 0; i < addrs.length; i++) {
            worldRoot = accounts[i].exists ? LibMPT.putAccount(s, worldRoot, addrs[i], accounts[i]) : LibMPT.deleteAccount(s, worldRoot, addrs[i]);
        }
        return worldRoot;
    }

    /// @dev Gas of one SLOAD-like read and one SSTORE-like write, the store already built.
    function measureStorage(bytes32 worldRoot, address addr, uint256 slot, uint256 value, bytes[] memory preimages)
        external
        view
        returns (uint256 read, uint256 write)
    {
        LibMPT.Store memory s = LibMPT.newStore(preimages, 16);
        uint256 t = gasleft();
        LibMPT.storageAt(s, worldRoot, addr, slot);
        read = t - gasleft();
        t = gasleft();
        LibMPT.setStorage(s, worldRoot, addr, slot, value);
        write = t - gasleft();
    }

    function _since(LibMPT.Store memory s, uint256 from) private pure returns (bytes[] memory out) {
        out = new bytes[](s.n - from);
        for (uint256 i = from; i < s.n; i++) out[i - from] = s.data[i];
    }

    // ---- RLP -----------------------------------------------------------------------------------

    /// @dev The payloads of a list's items (each must be a byte string).
    function rlpListBytes(bytes memory enc) external pure returns (bytes[] memory out) {
        LibRLP.Item[] memory items = LibRLP.readList(LibRLP.toItem(enc));
        out = new bytes[](items.length);
        for (uint256 i = 0; i < items.length; i++) out[i] = LibRLP.toBytes(items[i]);
    }

    function rlpUint(bytes memory enc) external pure returns (uint256) {
        return LibRLP.toUint(LibRLP.toItem(enc));
    }

    function rlpEncodeUint(uint256 v) external pure returns (bytes memory) {
        return LibRLP.encodeUint(v);
    }

    function rlpEncodeBytesList(bytes[] memory items) external pure returns (bytes memory) {
        bytes[] memory enc = new bytes[](items.length);
        for (uint256 i = 0; i < items.length; i++) enc[i] = LibRLP.encodeBytes(items[i]);
        return LibRLP.encodeList(enc);
    }
}
