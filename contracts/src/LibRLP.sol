// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Canonical RLP (Yellow Paper appendix B) over memory bytes. Decoding works on views
///         (a memory pointer and a length into the caller's bytes), so reading a trie node copies
///         nothing until a value is taken out. Only canonical encodings are accepted: a decoder
///         that took two spellings of one item would let a witness carry a node whose hash the
///         trie never committed to under that reading.
library LibRLP {
    /// @dev One encoded item: `ptr` is the memory address of its first (header) byte, `len` the
    ///      length of its whole encoding, header included. Items are made by toItem and readList,
    ///      which check the header; the accessors rely on that and do not check it again.
    struct Item {
        uint256 ptr;
        uint256 len;
    }

    error RLPTruncated();
    error RLPNonCanonical();
    error RLPTrailingBytes();
    error RLPExpectedList();
    error RLPExpectedBytes();
    error RLPIntegerTooLong();
    error RLPBadLength(uint256 expected, uint256 actual);

    // ---- decoding ------------------------------------------------------------------------

    /// @dev `b` as one item; `b` must hold exactly one encoding, nothing after it.
    function toItem(bytes memory b) internal pure returns (Item memory it) {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := add(b, 32)
        }
        (, , , uint256 total) = header(ptr, b.length);
        if (total != b.length) revert RLPTrailingBytes();
        it = Item(ptr, total);
    }

    /// @dev Decodes and checks the header at `ptr` with `avail` bytes available there: whether it
    ///      is a list, the payload's offset from `ptr`, its length, and the item's whole length.
    function header(uint256 ptr, uint256 avail) internal pure returns (bool list, uint256 off, uint256 plen, uint256 total) {
        uint256 err; // 1 truncated, 2 non-canonical
        assembly ("memory-safe") {
            for {} 1 {} {
                if iszero(avail) {
                    err := 1
                    break
                }
                let b0 := byte(0, mload(ptr))
                if lt(b0, 0x80) {
                    plen := 1
                    total := 1
                    break
                }
                let ll := 0
                switch lt(b0, 0xc0)
                case 1 {
                    switch lt(b0, 0xb8)
                    case 1 {
                        off := 1
                        plen := sub(b0, 0x80)
                    }
                    default { ll := sub(b0, 0xb7) }
                }
                default {
                    list := 1
                    switch lt(b0, 0xf8)
                    case 1 {
                        off := 1
                        plen := sub(b0, 0xc0)
                    }
                    default { ll := sub(b0, 0xf7) }
                }
                if ll {
                    if gt(add(1, ll), avail) {
                        err := 1
                        break
                    }
                    // Long form: no leading zero in the length, and only for lengths of 56 or more.
                    if iszero(byte(1, mload(ptr))) {
                        err := 2
                        break
                    }
                    plen := shr(sub(256, mul(8, ll)), mload(add(ptr, 1)))
                    if lt(plen, 56) {
                        err := 2
                        break
                    }
                    off := add(1, ll)
                }
                total := add(off, plen)
                if gt(total, avail) {
                    err := 1
                    break
                }
                // A lone byte below 0x80 is its own encoding; 0x81 0x05 would be a second spelling.
                if and(iszero(list), eq(plen, 1)) {
                    if lt(byte(1, mload(ptr)), 0x80) { err := 2 }
                }
                break
            }
        }
        if (err != 0) {
            if (err == 1) revert RLPTruncated();
            revert RLPNonCanonical();
        }
    }

    /// @dev Payload address and length of an item whose header was checked when the item was made
    ///      (by toItem or readList): no checks again.
    function _span(uint256 ptr) private pure returns (bool list, uint256 start, uint256 plen) {
        assembly ("memory-safe") {
            let b0 := byte(0, mload(ptr))
            switch lt(b0, 0x80)
            case 1 {
                start := ptr
                plen := 1
            }
            default {
                let base := 0x80
                if iszero(lt(b0, 0xc0)) {
                    list := 1
                    base := 0xc0
                }
                let short := sub(b0, base)
                switch lt(short, 56)
                case 1 {
                    start := add(ptr, 1)
                    plen := short
                }
                default {
                    let ll := sub(short, 55)
                    plen := shr(sub(256, mul(8, ll)), mload(add(ptr, 1)))
                    start := add(add(ptr, 1), ll)
                }
            }
        }
    }

    function isList(Item memory it) internal pure returns (bool list) {
        uint256 ptr = it.ptr;
        assembly ("memory-safe") {
            list := iszero(lt(byte(0, mload(ptr)), 0xc0))
        }
    }

    /// @dev The payload of a byte string (not a list): its memory address and length.
    function payload(Item memory it) internal pure returns (uint256 ptr, uint256 len) {
        bool list;
        (list, ptr, len) = _span(it.ptr);
        if (list) revert RLPExpectedBytes();
    }

    /// @dev The payload length of a byte string.
    function bytesLength(Item memory it) internal pure returns (uint256 len) {
        (, len) = payload(it);
    }

    /// @dev The items of a list, as views into the same memory (each item's header is checked).
    function readList(Item memory it) internal pure returns (Item[] memory items) {
        (bool list, uint256 start, uint256 plen) = _span(it.ptr);
        if (!list) revert RLPExpectedList();
        uint256 err; // 1 truncated, 2 non-canonical
        assembly ("memory-safe") {
            // One pass: the (ptr, len) structs are written from the free memory pointer on, then
            // the array of pointers to them after the last one; the free pointer moves past both.
            let structs := mload(0x40)
            let end := add(start, plen)
            let count := 0
            for { let q := start } lt(q, end) { count := add(count, 1) } {
                let b0 := byte(0, mload(q))
                let total := 1
                // A 32-byte string (a trie node's hash): the commonest item, no checks needed.
                if eq(b0, 0xa0) {
                    total := 33
                    b0 := 0
                }
                if iszero(lt(b0, 0x80)) {
                    let short := sub(b0, 0x80)
                    if iszero(lt(b0, 0xc0)) { short := sub(b0, 0xc0) }
                    switch lt(short, 56)
                    case 1 {
                        total := add(1, short)
                        // A lone byte below 0x80 is its own encoding: 0x81 0x05 would be a second one.
                        if eq(b0, 0x81) {
                            if lt(byte(1, mload(q)), 0x80) { err := 2 }
                        }
                    }
                    default {
                        // Long form: no leading zero in the length, and only for 56 bytes or more.
                        let ll := sub(short, 55)
                        if iszero(byte(1, mload(q))) { err := 2 }
                        let len := shr(sub(256, mul(8, ll)), mload(add(q, 1)))
                        if lt(len, 56) { err := 2 }
                        total := add(add(1, ll), len)
                        if gt(add(1, ll), sub(end, q)) { err := 1 }
                    }
                }
                if gt(total, sub(end, q)) { err := 1 }
                if err { break }
                let st := add(structs, mul(count, 64))
                mstore(st, q)
                mstore(add(st, 32), total)
                q := add(q, total)
            }
            if iszero(err) {
                items := add(structs, mul(count, 64))
                mstore(items, count)
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    mstore(add(items, mul(add(i, 1), 32)), add(structs, mul(i, 64)))
                }
                mstore(0x40, add(items, mul(add(count, 1), 32)))
            }
        }
        if (err != 0) {
            if (err == 1) revert RLPTruncated();
            revert RLPNonCanonical();
        }
    }

    /// @dev A copy of a byte string's payload.
    function toBytes(Item memory it) internal pure returns (bytes memory out) {
        (uint256 ptr, uint256 len) = payload(it);
        out = copy(ptr, len);
    }

    /// @dev A copy of the whole encoding (header included), e.g. to reuse an unchanged child reference.
    function toRaw(Item memory it) internal pure returns (bytes memory out) {
        out = copy(it.ptr, it.len);
    }

    /// @dev A canonical big-endian integer of at most 32 bytes (no leading zero byte).
    function toUint(Item memory it) internal pure returns (uint256 v) {
        (uint256 ptr, uint256 len) = payload(it);
        if (len > 32) revert RLPIntegerTooLong();
        if (len == 0) return 0;
        assembly ("memory-safe") {
            v := shr(sub(256, mul(8, len)), mload(ptr))
        }
        if (v >> (8 * len - 8) == 0) revert RLPNonCanonical();
    }

    /// @dev A byte string of exactly 32 bytes (a hash).
    function toBytes32(Item memory it) internal pure returns (bytes32 v) {
        (uint256 ptr, uint256 len) = payload(it);
        if (len != 32) revert RLPBadLength(32, len);
        assembly ("memory-safe") {
            v := mload(ptr)
        }
    }

    /// @dev `len` bytes at memory address `src`, copied into new bytes.
    function copy(uint256 src, uint256 len) internal pure returns (bytes memory out) {
        out = new bytes(len);
        assembly ("memory-safe") {
            mcopy(add(out, 32), src, len)
        }
    }

    /// @dev Whether `b` is exactly one canonical RLP item, every nested item held to the rules
    ///      toItem and readList hold theirs to, with at most 1024 lists around any item: the
    ///      TypeScript rlpDecode (vm/rlp/rlp.ts) as a yes or no, for callers that must treat a
    ///      malformed encoding as an answer rather than revert. Walks without recursion; the ends
    ///      of the open lists are kept in scratch memory past the free pointer.
    function wellFormed(bytes memory b) internal pure returns (bool ok) {
        assembly ("memory-safe") {
            let p := add(b, 32)
            let end := add(p, mload(b))
            let stack := mload(0x40)
            let depth := 0
            let limit := end
            ok := 1
            for {} 1 {} {
                if gt(depth, 1024) {
                    ok := 0
                    break
                }
                let avail := sub(limit, p)
                if iszero(avail) {
                    ok := 0
                    break
                }
                let b0 := byte(0, mload(p))
                let off := 0
                let total := 1
                let list := 0
                if iszero(lt(b0, 0x80)) {
                    let short := sub(b0, 0x80)
                    if iszero(lt(b0, 0xc0)) {
                        list := 1
                        short := sub(b0, 0xc0)
                    }
                    switch lt(short, 56)
                    case 1 {
                        off := 1
                        total := add(1, short)
                        // A lone byte below 0x80 is its own encoding.
                        if and(iszero(list), eq(short, 1)) {
                            if lt(byte(1, mload(p)), 0x80) { ok := 0 }
                        }
                    }
                    default {
                        let ll := sub(short, 55)
                        if gt(add(1, ll), avail) { ok := 0 }
                        // Long form: no leading zero in the length, and only for 56 bytes or more.
                        if iszero(byte(1, mload(p))) { ok := 0 }
                        let len := shr(sub(256, mul(8, ll)), mload(add(p, 1)))
                        if lt(len, 56) { ok := 0 }
                        off := add(1, ll)
                        total := add(off, len)
                    }
                }
                if gt(total, avail) { ok := 0 }
                if iszero(ok) { break }
                switch list
                case 1 {
                    mstore(add(stack, mul(depth, 32)), limit)
                    depth := add(depth, 1)
                    limit := add(p, total)
                    p := add(p, off)
                }
                default { p := add(p, total) }
                // Close the lists this item ends.
                for {} and(gt(depth, 0), eq(p, limit)) {} {
                    depth := sub(depth, 1)
                    limit := mload(add(stack, mul(depth, 32)))
                }
                if iszero(depth) { break }
            }
            if ok { ok := eq(p, end) }
        }
    }

    // ---- encoding ------------------------------------------------------------------------

    /// @dev The header of a string (`base` 0x80) or list (`base` 0xc0) payload of `len` bytes.
    function encodeLength(uint256 len, uint256 base) internal pure returns (bytes memory out) {
        if (len < 56) {
            out = new bytes(1);
            out[0] = bytes1(uint8(base + len));
            return out;
        }
        uint256 ll = 0;
        for (uint256 x = len; x != 0; x >>= 8) ll++;
        out = new bytes(1 + ll);
        out[0] = bytes1(uint8(base + 55 + ll));
        for (uint256 i = 0; i < ll; i++) out[1 + i] = bytes1(uint8(len >> (8 * (ll - 1 - i))));
    }

    function encodeBytes(bytes memory b) internal pure returns (bytes memory) {
        if (b.length == 1 && uint8(b[0]) < 0x80) return bytes.concat(b);
        return bytes.concat(encodeLength(b.length, 0x80), b);
    }

    /// @dev Big-endian without leading zeros; zero is the empty string.
    function encodeUint(uint256 v) internal pure returns (bytes memory) {
        if (v == 0) return hex"80";
        if (v < 0x80) return abi.encodePacked(uint8(v));
        uint256 n = 0;
        for (uint256 x = v; x != 0; x >>= 8) n++;
        bytes memory out = new bytes(1 + n);
        out[0] = bytes1(uint8(0x80 + n));
        for (uint256 i = 0; i < n; i++) out[1 + i] = bytes1(uint8(v >> (8 * (n - 1 - i))));
        return out;
    }

    function encodeBytes32(bytes32 h) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes1(0xa0), h);
    }

    /// @dev A list of already-encoded items.
    function encodeList(bytes[] memory items) internal pure returns (bytes memory out) {
        uint256 len = 0;
        for (uint256 i = 0; i < items.length; i++) len += items[i].length;
        bytes memory h = encodeLength(len, 0xc0);
        out = new bytes(h.length + len);
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(out, 32)
            mcopy(dst, add(h, 32), mload(h))
            dst := add(dst, mload(h))
        }
        for (uint256 i = 0; i < items.length; i++) {
            bytes memory item = items[i];
            assembly ("memory-safe") {
                mcopy(dst, add(item, 32), mload(item))
                dst := add(dst, mload(item))
            }
        }
    }

    /// @dev `list` (whose items are `parts`) with item `i` replaced by the encoding `item`: the
    ///      bytes around it are copied as they are, so untouched siblings are never re-encoded.
    function replaceItem(Item memory list, Item[] memory parts, uint256 i, bytes memory item) internal pure returns (bytes memory out) {
        (, uint256 start, uint256 plen) = _span(list.ptr);
        uint256 before = parts[i].ptr - start;
        uint256 afterPtr = parts[i].ptr + parts[i].len;
        uint256 afterLen = start + plen - afterPtr;
        uint256 newLen = before + item.length + afterLen;
        bytes memory h = encodeLength(newLen, 0xc0);
        out = new bytes(h.length + newLen);
        assembly ("memory-safe") {
            let dst := add(out, 32)
            mcopy(dst, add(h, 32), mload(h))
            dst := add(dst, mload(h))
            mcopy(dst, start, before)
            dst := add(dst, before)
            mcopy(dst, add(item, 32), mload(item))
            dst := add(dst, mload(item))
            mcopy(dst, afterPtr, afterLen)
        }
    }
}
