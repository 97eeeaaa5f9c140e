// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IStepVerifier, LocalContext} from "./IStepVerifier.sol";
import {IBlockInputs} from "./BlockInputsInbox.sol";
import {LibPosition} from "./LibPosition.sol";
import {GameStatus, IAnchorSource, IDisputeGame, OutputRoot, VMStatus} from "./Types.sol";

/// @notice A bisection dispute game over an L2 output root, after OP's FaultDisputeGame: output
///         roots are bisected down to SPLIT_DEPTH, one block's execution trace below it, and a
///         single step at MAX_GAME_DEPTH is checked by the verifier. Bonds are held as ETH by the
///         game itself and paid out through credits.
///
///         Used as an EIP-1167 clone made by the DisputeGameFactory: the configuration lives in
///         the implementation's immutables, the per-game data in the clone's storage.
contract BisectionGame is IDisputeGame {
    using LibPosition for uint128;

    error BadConfig();
    error NotFactory();
    error AlreadyInitialized();
    error BadExtraData();
    error AnchorRootNotFound();
    error UnexpectedRootClaim(bytes32 rootClaim);
    error BlockRangeTooLarge();
    error GameNotInProgress();
    error InvalidParent();
    error InvalidDisputedClaim();
    error CannotDefendRootClaim();
    error GameDepthExceeded();
    error IncorrectBondAmount();
    error ClockTimeExceeded();
    error ClaimAlreadyExists();
    error InvalidPrestate();
    error ValidStep();
    error DuplicateStep();
    error ClockNotExpired();
    error ClaimAlreadyResolved();
    error OutOfOrderResolution();
    error NoCreditToClaim();
    error BondTransferFailed();
    error Reentrancy();

    event Move(uint256 indexed parentIndex, bytes32 indexed claim, address indexed claimant);
    event Stepped(uint256 indexed claimIndex, bool isAttack, address indexed counteredBy);
    event ClaimResolved(uint256 indexed claimIndex, address indexed bondRecipient, uint256 bond);
    event Resolved(GameStatus indexed status);
    event CreditClaimed(address indexed recipient, uint256 amount);

    struct Config {
        uint32 gameType;
        uint256 maxGameDepth;
        uint256 splitDepth;
        uint64 maxClockDuration;
        uint64 clockExtension;
        bytes32 absolutePrestate;
        IStepVerifier verifier;
        /// @dev The inputs inbox the local context's inputs hash is read from (zero: none).
        IBlockInputs inputs;
        /// @dev The factory: creates the clones and keeps the anchor.
        address factory;
        /// @dev Bond at depth 0 and at maxGameDepth; the curve is exponential in between.
        uint256 baseBond;
        uint256 topBond;
    }

    /// @dev Layout and meaning as OP's ClaimData; `clock` = duration << 64 | timestamp.
    struct ClaimData {
        uint32 parentIndex;
        address counteredBy;
        address claimant;
        uint128 bond;
        bytes32 claim;
        uint128 position;
        uint128 clock;
    }

    /// @dev Progress of a paginated resolveClaim over one subgame's children.
    struct ResolutionCheckpoint {
        bool started;
        uint32 subgameIndex;
        uint128 leftmostPosition;
        address counteredBy;
    }

    uint128 internal constant ROOT_POSITION = 1;
    uint256 internal constant RAY = 1e27;
    /// @dev Saturation bound of the fixed-point power (keeps every product within 256 bits).
    uint256 internal constant POW_CAP = 1 << 127;

    uint32 internal immutable GAME_TYPE;
    uint256 public immutable MAX_GAME_DEPTH;
    uint256 public immutable SPLIT_DEPTH;
    uint64 public immutable MAX_CLOCK_DURATION;
    uint64 public immutable CLOCK_EXTENSION;
    bytes32 public immutable ABSOLUTE_PRESTATE;
    IStepVerifier public immutable VERIFIER;
    /// @notice Where the disputed block's inputs record is committed (zero: none; the verifier is
    ///         then given a zero inputs hash).
    IBlockInputs public immutable INPUTS;
    address public immutable FACTORY;
    uint256 public immutable BASE_BOND;
    uint256 public immutable TOP_BOND;
    /// @dev (TOP_BOND / BASE_BOND) ^ (1 / MAX_GAME_DEPTH) in RAY fixed point.
    uint256 public immutable BOND_RATIO;

    address public gameCreator;
    bytes32 public rootClaim;
    uint256 public l2BlockNumber;
    OutputRoot public startingOutputRoot;
    uint64 public createdAt;
    uint64 public resolvedAt;
    GameStatus public status;
    bool public initialized;

    ClaimData[] public claimData;
    /// @dev keccak256(claim, position, parentIndex) -> exists (duplicate-move guard).
    mapping(bytes32 => bool) public claims;
    mapping(uint256 => uint256[]) internal _subgames;
    mapping(uint256 => bool) public resolvedSubgames;
    mapping(uint256 => ResolutionCheckpoint) public resolutionCheckpoints;
    mapping(address => uint256) public credit;
    /// @dev Re-entrancy lock for claimCredit; transient (EIP-1153), so it costs no storage.
    bool transient _locked;

    constructor(Config memory cfg) {
        // Same sanity rules as OP: the split leaves room for an execution subgame of at least
        // one bisection, positions fit in uint128, and two extensions fit in one clock.
        if (cfg.maxGameDepth > 125 || cfg.splitDepth < 2 || cfg.splitDepth + 2 > cfg.maxGameDepth) revert BadConfig();
        if (cfg.clockExtension == 0 || uint256(cfg.clockExtension) * 2 > cfg.maxClockDuration) revert BadConfig();
        if (address(cfg.verifier) == address(0) || cfg.factory == address(0)) revert BadConfig();
        if (cfg.baseBond == 0 || cfg.topBond < cfg.baseBond || cfg.topBond / cfg.baseBond >= 1 << 32) revert BadConfig();
        GAME_TYPE = cfg.gameType;
        MAX_GAME_DEPTH = cfg.maxGameDepth;
        SPLIT_DEPTH = cfg.splitDepth;
        MAX_CLOCK_DURATION = cfg.maxClockDuration;
        CLOCK_EXTENSION = cfg.clockExtension;
        ABSOLUTE_PRESTATE = cfg.absolutePrestate;
        VERIFIER = cfg.verifier;
        INPUTS = cfg.inputs;
        FACTORY = cfg.factory;
        BASE_BOND = cfg.baseBond;
        TOP_BOND = cfg.topBond;
        BOND_RATIO = _nthRoot((cfg.topBond * RAY) / cfg.baseBond, cfg.maxGameDepth);
    }

    ////////////////////////////////////////////////////////////////
    //                         Creation                           //
    ////////////////////////////////////////////////////////////////

    /// @notice Called once by the factory on a fresh clone; msg.value is the root claim's bond.
    function initialize(address creator, bytes32 rootClaim_, bytes calldata extraData_) external payable {
        if (msg.sender != FACTORY) revert NotFactory();
        if (initialized) revert AlreadyInitialized();
        // Exactly one word: a different encoding of the same block would be a different uuid.
        if (extraData_.length != 32) revert BadExtraData();
        uint256 blockNumber = abi.decode(extraData_, (uint256));

        (bytes32 anchorRoot, uint256 anchorBlock) = IAnchorSource(FACTORY).anchors(GAME_TYPE);
        if (anchorRoot == bytes32(0)) revert AnchorRootNotFound();
        if (blockNumber <= anchorBlock) revert UnexpectedRootClaim(rootClaim_);
        // The root claim sits at output trace index 2^SPLIT_DEPTH - 1: a longer span is unprovable.
        if (blockNumber - anchorBlock > uint256(1) << SPLIT_DEPTH) revert BlockRangeTooLarge();

        initialized = true;
        gameCreator = creator;
        rootClaim = rootClaim_;
        l2BlockNumber = blockNumber;
        startingOutputRoot = OutputRoot({root: anchorRoot, l2BlockNumber: anchorBlock});
        createdAt = uint64(block.timestamp);
        claimData.push(
            ClaimData({
                parentIndex: type(uint32).max,
                counteredBy: address(0),
                claimant: creator,
                bond: uint128(msg.value),
                claim: rootClaim_,
                position: ROOT_POSITION,
                clock: _clock(0, uint64(block.timestamp))
            })
        );
    }

    ////////////////////////////////////////////////////////////////
    //                          Moves                             //
    ////////////////////////////////////////////////////////////////

    function attack(bytes32 disputed, uint256 parentIndex, bytes32 claim) external payable {
        move(disputed, parentIndex, claim, true);
    }

    function defend(bytes32 disputed, uint256 parentIndex, bytes32 claim) external payable {
        move(disputed, parentIndex, claim, false);
    }

    /// @notice Counter claim `parentIndex` (whose value must be `disputed`) with `claim`, one level
    ///         down: left child on attack, the right neighbour's left child on defence.
    function move(bytes32 disputed, uint256 parentIndex, bytes32 claim, bool isAttack) public payable {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (parentIndex >= claimData.length) revert InvalidParent();
        ClaimData storage parent = claimData[parentIndex];
        // Guards against a reorg of L1 re-pointing this move at a different claim.
        if (parent.claim != disputed) revert InvalidDisputedClaim();

        uint128 parentPos = parent.position;
        uint128 nextPosition = parentPos.move(isAttack);
        uint256 nextDepth = nextPosition.depth();

        // The root of the game and of every execution subgame commits to a whole trace: agreeing
        // with it means not moving, so there is nothing to defend.
        if (!isAttack && (parentIndex == 0 || nextDepth == SPLIT_DEPTH + 2)) revert CannotDefendRootClaim();
        if (nextDepth > MAX_GAME_DEPTH) revert GameDepthExceeded();
        if (nextDepth == SPLIT_DEPTH + 1) _verifyExecBisectionRoot(claim, parentIndex, parentPos, isAttack);
        if (msg.value != getRequiredBond(nextPosition)) revert IncorrectBondAmount();

        uint64 nextDuration = getChallengerDuration(parentIndex);
        if (nextDuration == MAX_CLOCK_DURATION) revert ClockTimeExceeded();
        // Near the deadline, leave the mover's side CLOCK_EXTENSION for its next reply (twice that
        // when that reply is an execution subgame root: the trace has to be generated first).
        if (nextDuration > MAX_CLOCK_DURATION - CLOCK_EXTENSION) {
            uint64 extension = nextDepth == SPLIT_DEPTH - 1 ? CLOCK_EXTENSION * 2 : CLOCK_EXTENSION;
            nextDuration = MAX_CLOCK_DURATION - extension;
        }

        bytes32 claimHash = keccak256(abi.encode(claim, nextPosition, parentIndex));
        if (claims[claimHash]) revert ClaimAlreadyExists();
        claims[claimHash] = true;

        claimData.push(
            ClaimData({
                parentIndex: uint32(parentIndex),
                counteredBy: address(0),
                claimant: msg.sender,
                bond: uint128(msg.value),
                claim: claim,
                position: nextPosition,
                clock: _clock(nextDuration, uint64(block.timestamp))
            })
        );
        _subgames[parentIndex].push(claimData.length - 1);
        emit Move(parentIndex, claim, msg.sender);
    }

    /// @notice Counter the leaf claim `claimIndex` by executing one step on L1. Attack: the parent
    ///         is the post state and the pre state is the trace entry before it (the absolute
    ///         prestate at a subgame's first index). Defence: the parent is the pre state and the
    ///         post state is the next trace entry committed somewhere up the tree.
    function step(uint256 claimIndex, bool isAttack, bytes calldata stateData, bytes calldata proof) external {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (claimIndex >= claimData.length) revert InvalidParent();
        ClaimData storage parent = claimData[claimIndex];
        uint128 parentPos = parent.position;
        uint128 stepPos = parentPos.move(isAttack);
        if (stepPos.depth() != MAX_GAME_DEPTH + 1) revert InvalidParent();
        // A step is a move: it must come before the stepper's clock runs out (and so before the
        // leaf could have been resolved as uncontested).
        if (getChallengerDuration(claimIndex) == MAX_CLOCK_DURATION) revert ClockTimeExceeded();

        (bytes32 preStateClaim, bytes32 postStateClaim, uint256 postStateDepth) =
            _stepStates(parent, parentPos, stepPos, isAttack);
        // The top byte is the VM status, set after hashing.
        if (keccak256(stateData) << 8 != preStateClaim << 8) revert InvalidPrestate();

        bool validStep = _runStep(claimIndex, stateData, proof) == postStateClaim;
        // If the post state sits an even number of levels above the parent, the parent's author
        // made it too, so a matching step vindicates them; otherwise a matching step refutes them.
        bool parentPostAgree = (parentPos.depth() - postStateDepth) % 2 == 0;
        if (parentPostAgree == validStep) revert ValidStep();
        if (parent.counteredBy != address(0)) revert DuplicateStep();
        parent.counteredBy = msg.sender;
        emit Stepped(claimIndex, isAttack, msg.sender);
    }

    ////////////////////////////////////////////////////////////////
    //                        Resolution                          //
    ////////////////////////////////////////////////////////////////

    /// @notice Resolve the subgame rooted at `claimIndex`, looking at up to `numToResolve` of its
    ///         children (0: all remaining) so huge subgames can be resolved over several calls.
    ///         All children must be resolved first (bottom-up). The claim is countered by its
    ///         leftmost uncountered child; its bond goes to that child's claimant, else back to
    ///         its own claimant (or to the stepper of a leaf countered by a step).
    function resolveClaim(uint256 claimIndex, uint256 numToResolve) external {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (claimIndex >= claimData.length) revert InvalidParent();
        ClaimData storage subgameRoot = claimData[claimIndex];
        if (getChallengerDuration(claimIndex) < MAX_CLOCK_DURATION) revert ClockNotExpired();
        if (resolvedSubgames[claimIndex]) revert ClaimAlreadyResolved();

        uint256[] storage children = _subgames[claimIndex];
        uint256 childCount = children.length;
        if (childCount == 0 && claimIndex != 0) {
            address counteredBy = subgameRoot.counteredBy;
            _finishSubgame(claimIndex, subgameRoot, counteredBy == address(0) ? subgameRoot.claimant : counteredBy);
            return;
        }

        ResolutionCheckpoint memory cp = resolutionCheckpoints[claimIndex];
        if (!cp.started) {
            cp.started = true;
            cp.leftmostPosition = type(uint128).max;
        }
        uint256 remaining = childCount - cp.subgameIndex;
        uint256 end = numToResolve == 0 || numToResolve >= remaining ? childCount : cp.subgameIndex + numToResolve;
        for (uint256 i = cp.subgameIndex; i < end; ++i) {
            uint256 childIndex = children[i];
            if (!resolvedSubgames[childIndex]) revert OutOfOrderResolution();
            ClaimData storage child = claimData[childIndex];
            // Prefer the leftmost uncountered counter: an attacker cannot steal a bond by
            // countering from a defence position that cannot itself be countered.
            if (child.counteredBy == address(0) && child.position < cp.leftmostPosition) {
                cp.counteredBy = child.claimant;
                cp.leftmostPosition = child.position;
            }
        }
        cp.subgameIndex = uint32(end);
        resolutionCheckpoints[claimIndex] = cp;

        if (end == childCount) {
            subgameRoot.counteredBy = cp.counteredBy;
            _finishSubgame(claimIndex, subgameRoot, cp.counteredBy == address(0) ? subgameRoot.claimant : cp.counteredBy);
        }
    }

    /// @notice Conclude the game once the root subgame is resolved.
    function resolve() external returns (GameStatus status_) {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (!resolvedSubgames[0]) revert OutOfOrderResolution();
        status_ = claimData[0].counteredBy == address(0) ? GameStatus.DEFENDER_WINS : GameStatus.CHALLENGER_WINS;
        status = status_;
        resolvedAt = uint64(block.timestamp);
        emit Resolved(status_);
        // Not wrapped in try/catch: gas estimation would then find a limit at which the update
        // silently runs out of gas. The factory returns false rather than reverting.
        IAnchorSource(FACTORY).tryUpdateAnchor();
    }

    /// @notice Pay `recipient` all of its credit in ETH.
    function claimCredit(address recipient) external {
        if (_locked) revert Reentrancy();
        _locked = true;
        uint256 amount = credit[recipient];
        if (amount == 0) revert NoCreditToClaim();
        credit[recipient] = 0;
        (bool ok,) = recipient.call{value: amount}("");
        if (!ok) revert BondTransferFailed();
        emit CreditClaimed(recipient, amount);
        _locked = false;
    }

    ////////////////////////////////////////////////////////////////
    //                          Views                             //
    ////////////////////////////////////////////////////////////////

    function gameType() external view returns (uint32) {
        return GAME_TYPE;
    }

    function extraData() external view returns (bytes memory) {
        return abi.encode(l2BlockNumber);
    }

    function claimDataLen() external view returns (uint256) {
        return claimData.length;
    }

    function subgameChildren(uint256 claimIndex) external view returns (uint256[] memory) {
        return _subgames[claimIndex];
    }

    function startingBlockNumber() external view returns (uint256) {
        return startingOutputRoot.l2BlockNumber;
    }

    function startingRootHash() external view returns (bytes32) {
        return startingOutputRoot.root;
    }

    /// @notice Time used so far by whoever would counter `claimIndex`: its grandparent's recorded
    ///         duration plus the time since `claimIndex` was made, capped at MAX_CLOCK_DURATION.
    function getChallengerDuration(uint256 claimIndex) public view returns (uint64) {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        ClaimData storage c = claimData[claimIndex];
        uint256 parentDuration = c.parentIndex == type(uint32).max ? 0 : claimData[c.parentIndex].clock >> 64;
        uint256 elapsed = parentDuration + (block.timestamp - uint64(c.clock));
        return elapsed > MAX_CLOCK_DURATION ? MAX_CLOCK_DURATION : uint64(elapsed);
    }

    /// @notice The exact bond for a claim at `position`: BASE_BOND * BOND_RATIO^depth, i.e.
    ///         BASE_BOND * (TOP_BOND / BASE_BOND)^(depth / MAX_GAME_DEPTH) (OP's curve shape).
    function getRequiredBond(uint128 position) public view returns (uint256) {
        uint256 depth = position.depth();
        if (depth > MAX_GAME_DEPTH) revert GameDepthExceeded();
        return (BASE_BOND * _powRay(BOND_RATIO, depth)) / RAY;
    }

    /// @notice The local context of the execution subgame containing `claimIndex` (a claim below
    ///         SPLIT_DEPTH): its starting and disputed output roots and blocks, and the disputed
    ///         block's inputs hash read from INPUTS (zero past the game's block, where no block
    ///         runs, and for a block whose inputs were never committed).
    function localContext(uint256 claimIndex) public view returns (LocalContext memory local) {
        (bytes32 starting, bytes32 disputedRoot, uint256 startingBlock, uint256 disputedBlock) = _findExecContext(claimIndex);
        bytes32 inputsHash;
        if (disputedBlock > startingBlock && address(INPUTS) != address(0)) inputsHash = INPUTS.inputsHashOf(disputedBlock);
        local = LocalContext(starting, disputedRoot, disputedBlock, startingBlock, inputsHash);
    }

    ////////////////////////////////////////////////////////////////
    //                         Internals                          //
    ////////////////////////////////////////////////////////////////

    /// @dev Pre- and post-state claims of a step against `parent` (see `step`).
    function _stepStates(ClaimData storage parent, uint128 parentPos, uint128 stepPos, bool isAttack)
        internal
        view
        returns (bytes32 pre, bytes32 post, uint256 postDepth)
    {
        if (isAttack) {
            // The first leaf of every execution subgame starts from the absolute prestate.
            pre = (stepPos.indexAtDepth() % (uint256(1) << (MAX_GAME_DEPTH - SPLIT_DEPTH))) == 0
                ? ABSOLUTE_PRESTATE
                : _findTraceAncestor(parentPos - 1, parent.parentIndex, false).claim;
            (post, postDepth) = (parent.claim, parentPos.depth());
        } else {
            ClaimData storage p = _findTraceAncestor(parentPos + 1, parent.parentIndex, false);
            (pre, post, postDepth) = (parent.claim, p.claim, p.position.depth());
        }
    }

    function _runStep(uint256 claimIndex, bytes calldata stateData, bytes calldata proof) internal returns (bytes32) {
        return VERIFIER.step(stateData, proof, localContext(claimIndex));
    }

    function _finishSubgame(uint256 claimIndex, ClaimData storage c, address recipient) internal {
        uint256 bond = c.bond;
        credit[recipient] += bond;
        resolvedSubgames[claimIndex] = true;
        emit ClaimResolved(claimIndex, recipient, bond);
    }

    /// @dev The first claim of an execution subgame must carry the VM status that matches its
    ///      stance on the output root it disputes (OP's _verifyExecBisectionRoot).
    function _verifyExecBisectionRoot(bytes32 rootClaim_, uint256 parentIndex, uint128 parentPos, bool isAttack)
        internal
        view
    {
        ClaimData storage disputedOutput = _findTraceAncestor(parentPos + 1, parentIndex, true);
        uint8 vmStatus = uint8(rootClaim_[0]);
        // An attack always disputes the parent output; a defence disputes the next output, which
        // the opposing side wrote if it sits at the split depth's parity.
        if (isAttack || disputedOutput.position.depth() % 2 == SPLIT_DEPTH % 2) {
            if (vmStatus != VMStatus.INVALID && vmStatus != VMStatus.PANIC) revert UnexpectedRootClaim(rootClaim_);
        } else if (vmStatus != VMStatus.VALID) {
            revert UnexpectedRootClaim(rootClaim_);
        }
    }

    /// @dev Walk up from `start` to the claim committing to the same trace index as `pos`
    ///      (`global`: anywhere in the tree; else within the execution subgame of `pos`).
    function _findTraceAncestor(uint128 pos, uint256 start, bool global) internal view returns (ClaimData storage a) {
        uint128 target = global ? pos.traceAncestor() : pos.traceAncestorBounded(SPLIT_DEPTH);
        a = claimData[start];
        while (a.position != target) a = claimData[a.parentIndex];
    }

    /// @dev OP's _findStartingAndDisputedOutputs: climb to the output claim at SPLIT_DEPTH; if the
    ///      execution subgame attacked it, it is the disputed output and its left neighbour
    ///      (the anchor when it is the first block) the starting one; if it defended it, it is
    ///      the starting output and its right neighbour the disputed one.
    function _findExecContext(uint256 claimIndex)
        internal
        view
        returns (bytes32 starting, bytes32 disputedRoot, uint256 startingBlock, uint256 disputedBlock)
    {
        ClaimData storage c = claimData[claimIndex];
        if (c.position.depth() <= SPLIT_DEPTH) revert InvalidParent();
        uint256 idx = claimIndex;
        uint128 execRootPos = c.position;
        while (c.position.depth() > SPLIT_DEPTH) {
            execRootPos = c.position;
            idx = c.parentIndex;
            c = claimData[idx];
        }
        uint128 outputPos = c.position;
        uint128 disputedPos;
        if (execRootPos.parent() == outputPos) {
            starting = outputPos.indexAtDepth() > 0
                ? _findTraceAncestor(outputPos - 1, idx, true).claim
                : startingOutputRoot.root;
            (disputedRoot, disputedPos) = (c.claim, outputPos);
        } else {
            ClaimData storage d = _findTraceAncestor(outputPos + 1, idx, true);
            (starting, disputedRoot, disputedPos) = (c.claim, d.claim, d.position);
        }
        // Output trace index i is block anchor + i + 1, padded with the proposal past its block;
        // the starting output is the one before it (the anchor at index 0).
        startingBlock = startingOutputRoot.l2BlockNumber + disputedPos.traceIndex(SPLIT_DEPTH);
        disputedBlock = startingBlock + 1;
        if (disputedBlock > l2BlockNumber) disputedBlock = l2BlockNumber;
        if (startingBlock > l2BlockNumber) startingBlock = l2BlockNumber;
    }

    function _clock(uint64 duration, uint64 timestamp) internal pure returns (uint128) {
        return (uint128(duration) << 64) | uint128(timestamp);
    }

    /// @dev x^n in RAY fixed point by squaring, saturating at POW_CAP.
    function _powRay(uint256 x, uint256 n) internal pure returns (uint256 r) {
        r = RAY;
        while (n > 0) {
            if (n & 1 == 1) {
                r = (r * x) / RAY;
                if (r > POW_CAP) return POW_CAP;
            }
            n >>= 1;
            if (n > 0) {
                x = (x * x) / RAY;
                if (x > POW_CAP) x = POW_CAP;
            }
        }
    }

    /// @dev The largest RAY value r with r^n <= target (bisection; runs once, in the constructor).
    function _nthRoot(uint256 target, uint256 n) internal pure returns (uint256) {
        uint256 lo = RAY;
        uint256 hi = target + 1;
        while (hi - lo > 1) {
            uint256 mid = (lo + hi) / 2;
            if (_powRay(mid, n) <= target) lo = mid;
            else hi = mid;
        }
        return lo;
    }
}
