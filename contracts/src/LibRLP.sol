// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Canonical RLP (Yellow Paper appendix B) over memory bytes. Decoding works on views
///         (a memory pointer and a length into the caller's bytes), so reading a trie node copies
///         nothing until a value is taken out. Only canonical encodings are accepted: a decoder
///         that took two spellings of one item would let a witness carry a node whose hash the
///         trie never committed to under that reading.
library LibRLP {
    /// @dev One encoded item: `ptr` is the memory address of its first (header) byte, `len` the
    ///      length of its whole encoding, header included.
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

    /// @dev Decodes the header at `ptr` with `avail` bytes available there: whether it is a list,
    ///      the payload's offset from `ptr`, its length, and the item's whole length.
    function header(uint256 ptr, uint256 avail) internal pure returns (bool list, uint256 off, uint256 plen, uint256 total) {
        if (avail == 0) revert RLPTruncated();
        uint256 b0 = _byteAt(ptr);
        if (b0 < 0x80) return (false, 0, 1, 1);
        if (b0 < 0xb8) {
            off = 1;
            plen = b0 - 0x80;
        } else if (b0 < 0xc0) {
            (off, plen) = _longLength(ptr, avail, b0 - 0xb7);
        } else if (b0 < 0xf8) {
            list = true;
            off = 1;
            plen = b0 - 0xc0;
        } else {
            list = true;
            (off, plen) = _longLength(ptr, avail, b0 - 0xf7);
        }
        total = off + plen;
        if (total > avail) revert RLPTruncated();
        // A lone byte below 0x80 is its own encoding; 0x81 0x05 would be a second spelling.
        if (!list && plen == 1 && _byteAt(ptr + 1) < 0x80) revert RLPNonCanonical();
    }

    function _longLength(uint256 ptr, uint256 avail, uint256 ll) private pure returns (uint256 off, uint256 plen) {
        if (1 + ll > avail) revert RLPTruncated();
        if (_byteAt(ptr + 1) == 0) revert RLPNonCanonical();
        uint256 word;
        assembly ("memory-safe") {
            word := mload(add(ptr, 1))
        }
        plen = word >> (256 - 8 * ll);
        if (plen < 56) revert RLPNonCanonical();
        off = 1 + ll;
    }

    function _byteAt(uint256 ptr) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(ptr))
        }
    }

    function isList(Item memory it) internal pure returns (bool list) {
        (list, , , ) = header(it.ptr, it.len);
    }

    /// @dev The payload of a byte string (not a list): its memory address and length.
    function payload(Item memory it) internal pure returns (uint256 ptr, uint256 len) {
        (bool list, uint256 off, uint256 plen, ) = header(it.ptr, it.len);
        if (list) revert RLPExpectedBytes();
        return (it.ptr + off, plen);
    }

    /// @dev The payload length of a byte string.
    function bytesLength(Item memory it) internal pure returns (uint256 len) {
        (, len) = payload(it);
    }

    /// @dev The items of a list, as views into the same memory.
    function readList(Item memory it) internal pure returns (Item[] memory items) {
        (bool list, uint256 off, uint256 plen, ) = header(it.ptr, it.len);
        if (!list) revert RLPExpectedList();
        uint256 end = it.ptr + off + plen;
        uint256 count;
        for (uint256 p = it.ptr + off; p < end; count++) {
            (, , , uint256 total) = header(p, end - p);
            p += total;
        }
        items = new Item[](count);
        uint256 q = it.ptr + off;
        for (uint256 i = 0; i < count; i++) {
            (, , , uint256 total) = header(q, end - q);
            items[i] = Item(q, total);
            q += total;
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
        if (_byteAt(ptr) == 0) revert RLPNonCanonical();
        assembly ("memory-safe") {
            v := shr(sub(256, mul(8, len)), mload(ptr))
        }
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
        (, uint256 off, uint256 plen, ) = header(list.ptr, list.len);
        uint256 start = list.ptr + off;
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
