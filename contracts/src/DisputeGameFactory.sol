// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GameStatus, IAnchorSource, IDisputeGame, OutputRoot} from "./Types.sol";

/// @notice Creates dispute games as EIP-1167 clones of an owner-set implementation per game type,
///         records them, and keeps the anchor: the newest output root a game has upheld.
///
///         Why clones: a BisectionGame is ~12 KB of code, ~2.4M gas of code deposit alone per
///         proposal with `new`; with a 45-byte EIP-1167 proxy a whole create() (clone, initialize,
///         records) measures ~0.44M gas on anvil. The per-game arguments (creator, root claim,
///         extra data) go to `initialize` and into the clone's storage rather than appended to
///         the proxy code, so the proxy stays the plain, well-audited EIP-1167 byte string.
contract DisputeGameFactory is IAnchorSource {
    error NotOwner();
    error NoImplementation(uint32 gameType);
    error ImplementationMismatch(uint32 gameType);
    error IncorrectBondAmount();
    error GameAlreadyExists(bytes32 uuid);
    error CloneFailed();
    error BadAnchor();

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event ImplementationSet(address indexed impl, uint32 indexed gameType);
    event InitBondUpdated(uint32 indexed gameType, uint256 newBond);
    event DisputeGameCreated(address indexed game, uint32 indexed gameType, bytes32 indexed rootClaim);
    event AnchorUpdated(uint32 indexed gameType, bytes32 root, uint256 l2BlockNumber, address indexed game);

    struct GameRecord {
        uint32 gameType;
        uint64 timestamp;
        address proxy;
    }

    address public owner;
    mapping(uint32 => address) public gameImpls;
    mapping(uint32 => uint256) public initBonds;

    /// @dev uuid = keccak256(abi.encode(gameType, rootClaim, extraData)) -> game.
    mapping(bytes32 => GameRecord) internal _games;
    GameRecord[] internal _gameList;
    /// @dev game -> its game type + 1 (0: not a game of this factory).
    mapping(address => uint256) internal _gameTypeOf;

    /// @dev The anchor every game type starts from until one of its games moves it.
    OutputRoot public genesisAnchor;
    mapping(uint32 => OutputRoot) internal _anchors;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    constructor(address owner_, bytes32 anchorRoot, uint256 anchorL2BlockNumber) {
        if (anchorRoot == bytes32(0)) revert BadAnchor();
        owner = owner_;
        genesisAnchor = OutputRoot({root: anchorRoot, l2BlockNumber: anchorL2BlockNumber});
        emit OwnershipTransferred(address(0), owner_);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function setImplementation(uint32 gameType, address impl) external onlyOwner {
        // The game reads its own type (and anchor) from its code; a mismatch would split them.
        if (impl != address(0) && IDisputeGame(impl).gameType() != gameType) revert ImplementationMismatch(gameType);
        gameImpls[gameType] = impl;
        emit ImplementationSet(impl, gameType);
    }

    function setInitBond(uint32 gameType, uint256 initBond) external onlyOwner {
        initBonds[gameType] = initBond;
        emit InitBondUpdated(gameType, initBond);
    }

    /// @notice Creates a game over `rootClaim`; `extraData` is abi.encode(uint256 l2BlockNumber).
    function create(uint32 gameType, bytes32 rootClaim, bytes calldata extraData)
        external
        payable
        returns (address proxy)
    {
        address impl = gameImpls[gameType];
        if (impl == address(0)) revert NoImplementation(gameType);
        if (msg.value != initBonds[gameType]) revert IncorrectBondAmount();
        bytes32 uuid = getGameUUID(gameType, rootClaim, extraData);
        if (_games[uuid].proxy != address(0)) revert GameAlreadyExists(uuid);

        proxy = _clone(impl, uuid);
        IDisputeGame(proxy).initialize{value: msg.value}(msg.sender, rootClaim, extraData);

        GameRecord memory record = GameRecord({gameType: gameType, timestamp: uint64(block.timestamp), proxy: proxy});
        _games[uuid] = record;
        _gameList.push(record);
        _gameTypeOf[proxy] = uint256(gameType) + 1;
        emit DisputeGameCreated(proxy, gameType, rootClaim);
    }

    function getGameUUID(uint32 gameType, bytes32 rootClaim, bytes calldata extraData) public pure returns (bytes32) {
        return keccak256(abi.encode(gameType, rootClaim, extraData));
    }

    /// @notice The game for (type, root claim, extra data), or address(0).
    function games(uint32 gameType, bytes32 rootClaim, bytes calldata extraData)
        external
        view
        returns (address proxy, uint64 timestamp)
    {
        GameRecord storage r = _games[getGameUUID(gameType, rootClaim, extraData)];
        return (r.proxy, r.timestamp);
    }

    function gameAtIndex(uint256 index) external view returns (uint32 gameType, uint64 timestamp, address proxy) {
        GameRecord storage r = _gameList[index];
        return (r.gameType, r.timestamp, r.proxy);
    }

    function gameCount() external view returns (uint256) {
        return _gameList.length;
    }

    /// @inheritdoc IAnchorSource
    function anchors(uint32 gameType) public view returns (bytes32 root, uint256 l2BlockNumber) {
        OutputRoot storage a = _anchors[gameType];
        if (a.root == bytes32(0)) return (genesisAnchor.root, genesisAnchor.l2BlockNumber);
        return (a.root, a.l2BlockNumber);
    }

    /// @inheritdoc IAnchorSource
    /// @dev Called by a game as it resolves. Only games of this factory count, and only a
    ///      DEFENDER_WINS game for a newer block moves the anchor of its own type. Never reverts
    ///      on a game that does not qualify, so resolution cannot be blocked from here.
    function tryUpdateAnchor() external returns (bool updated) {
        uint256 typePlusOne = _gameTypeOf[msg.sender];
        if (typePlusOne == 0) return false;
        uint32 gameType = uint32(typePlusOne - 1);
        IDisputeGame game = IDisputeGame(msg.sender);
        if (game.status() != GameStatus.DEFENDER_WINS) return false;
        (, uint256 anchorBlock) = anchors(gameType);
        uint256 l2BlockNumber = game.l2BlockNumber();
        if (l2BlockNumber <= anchorBlock) return false;
        bytes32 root = game.rootClaim();
        _anchors[gameType] = OutputRoot({root: root, l2BlockNumber: l2BlockNumber});
        emit AnchorUpdated(gameType, root, l2BlockNumber, msg.sender);
        return true;
    }

    /// @dev CREATE2 of the EIP-1167 minimal proxy for `impl`, salted with the game's uuid.
    function _clone(address impl, bytes32 salt) internal returns (address proxy) {
        bytes memory code = abi.encodePacked(
            hex"3d602d80600a3d3981f3363d3d373d3d3d363d73", impl, hex"5af43d82803e903d91602b57fd5bf3"
        );
        assembly ("memory-safe") {
            proxy := create2(0, add(code, 0x20), mload(code), salt)
        }
        if (proxy == address(0)) revert CloneFailed();
    }
}
