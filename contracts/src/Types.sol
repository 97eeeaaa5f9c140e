// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Outcome of a dispute game (OP's GameStatus, same order).
enum GameStatus {
    IN_PROGRESS,
    CHALLENGER_WINS,
    DEFENDER_WINS
}

/// @notice An output root and the L2 block it commits to.
struct OutputRoot {
    bytes32 root;
    uint256 l2BlockNumber;
}

/// @notice VM status codes carried in the top byte of a state hash (Cannon's convention).
library VMStatus {
    uint8 internal constant VALID = 0;
    uint8 internal constant INVALID = 1;
    uint8 internal constant PANIC = 2;
    uint8 internal constant UNFINISHED = 3;
}

/// @notice Where a game reads its starting point, and whom it tells when it resolves.
interface IAnchorSource {
    function anchors(uint32 gameType) external view returns (bytes32 root, uint256 l2BlockNumber);
    function tryUpdateAnchor() external returns (bool updated);
}

/// @notice What the factory needs from a game implementation.
interface IDisputeGame {
    function initialize(address creator, bytes32 rootClaim, bytes calldata extraData) external payable;
    function gameType() external view returns (uint32);
    function status() external view returns (GameStatus);
    function rootClaim() external view returns (bytes32);
    function l2BlockNumber() external view returns (uint256);
}
