// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// The devnet's L2ToL1MessagePasser at 0x4200…0016: every call (any calldata, any value) records
/// keccak256(abi.encode(sender, data, nonce)) so the account's storage root, and with it the
/// output root, moves with each message. Its runtime code ships as MESSAGE_PASSER_RUNTIME in chain.ts.
contract L2ToL1MessagePasser {
    mapping(bytes32 => bool) public sentMessages;
    uint256 public messageNonce;

    event MessagePassed(uint256 indexed nonce, address indexed sender, bytes data, bytes32 messageHash);

    fallback() external payable {
        bytes32 h = keccak256(abi.encode(msg.sender, msg.data, messageNonce));
        sentMessages[h] = true;
        emit MessagePassed(messageNonce, msg.sender, msg.data, h);
        messageNonce += 1;
    }
}
