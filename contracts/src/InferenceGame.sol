// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMerkle} from "./LibMerkle.sol";
import {InferenceChunkVerifier} from "./InferenceChunkVerifier.sol";
import {IInferenceResults} from "./IInferenceResults.sol";

/// @notice The L1 dispute game of one inference (ai/DESIGN.md, "The L1 inference game"). Anyone
///         posts a claim (modelId, input hash, output hash, trace root) with a bond, proving the
///         output bytes as the trace's last leaf; during the challenge window anyone may challenge
///         it with another trace root of the same (modelId, input) and a bond. Each dispute is a
///         two-party bisection with a chess clock, in the order of ai/dispute.ts: over the trace's
///         node leaves (bisectNodes), over the chunks of the first differing node's output
///         (bisectChunks), for a Gemm wider than MAX_WHOLE_BLOCKS reduction blocks over its
///         accumulator claims (bisectClaims), and ends in one chunk recomputed by the deployed
///         InferenceChunkVerifier from Merkle-proven inputs. The claimant wins a dispute iff its
///         value at the disputed point is proven right (or the challenger's clock runs out); the
///         loser's bond is credited to the winner. A claim past its window that no challenger has
///         beaten, with no dispute open, is final. IInferenceResults (finalOutput, inferenceOf: the
///         model's gas and input size) is what a step verifier reads.
///
///         Each round the claimant moves first, then the challenger; only the party to move has
///         its clock running. The final check may be sent by anyone while the claimant's clock
///         runs (it is the claimant's turn to prove itself right).
///
///         The modelId → model commitment binding, and the model's gas, are the registrar's (the
///         L2's model registry); proving them on L1 means hashing the model encoding and its
///         weight trees here.
///
///         Gas, measured (eth_estimateGas incl. 21 000 and calldata, anvil Prague, each move a
///         second after the last; printed by test/inference-game.test.ts, kept in ai/DESIGN.md
///         "The L1 inference game"):
///           registerModel                          98k - 100k
///           post (first claim / after a refuted)   222k / 190k
///           challenge                              207k - 226k
///           bisect, claimant's half                92k (stores the pending children)
///           bisect, challenger's half              65k - 67k; 74k - 94k for the last of a tree
///           openLeaf claimant / challenger         102k - 105k / 118k - 123k (79k into Header)
///           postAccumulator claimant / challenger  67k / 54k - 71k
///           check                                  MLP LUT 177k, Relu (Header) 185k, Gemm K = 32
///                                                  318k (N = 10) / 460k (N = 32), K = 16 466k -
///                                                  491k; hello_deepa Reshape 193k (Header 186k),
///                                                  K = 2400 Gemm one block 426k - 478k
///           checkInput (16-byte input)             119k
///           timeout / releaseBond / withdraw       69k - 96k / 56k - 74k / 36k
///         A whole dispute after the challenge: MLP 0.87M - 1.22M (9 calls), hello_deepa 2.08M -
///         2.23M (23 - 25 calls).
contract InferenceGame is IInferenceResults {
    ////////////////////////////////////////////////////////////////
    //                          Errors                            //
    ////////////////////////////////////////////////////////////////

    error BadConfig();
    error NotRegistrar();
    error ModelAlreadyRegistered(bytes32 modelId);
    error UnknownModel(bytes32 modelId);
    error IncorrectBond(uint256 required);
    error ClaimExists(uint256 claimId);
    error OutputMismatch();
    error BadOutputLeaf();
    error UnknownClaim(uint256 claimId);
    error ChallengeWindowClosed();
    error ClaimAlreadyRefuted();
    error SameTraceRoot();
    error DuplicateChallenge();
    error UnknownDispute(uint256 disputeId);
    error WrongPhase(uint8 phase);
    error NotAParty();
    error NotYourTurn();
    error ClockTimeExceeded();
    error ClockNotExpired();
    error BadChildren();
    error BadLeafOpening();
    error BadAttrsRecord();
    error WrongWitness();
    error AccumulatorsNotAgreed();
    error InputMismatch();
    error NotFinal();
    error BondAlreadyReleased();
    error NoCredit();
    error TransferFailed();
    error Reentrancy();

    ////////////////////////////////////////////////////////////////
    //                          Events                            //
    ////////////////////////////////////////////////////////////////

    event ModelRegistered(bytes32 indexed modelId, bytes32 commitment, uint32 nodeCount, uint64 gas, uint32 inputSize);
    event Posted(uint256 indexed claimId, bytes32 indexed modelId, bytes32 indexed inputHash, bytes32 outputHash, bytes32 traceRoot, address claimant);
    event Challenged(uint256 indexed disputeId, uint256 indexed claimId, address indexed challenger, bytes32 traceRoot);
    event Moved(uint256 indexed disputeId, Phase phase, uint8 mover);
    event DisputeResolved(uint256 indexed disputeId, uint256 indexed claimId, bool claimantWon);

    ////////////////////////////////////////////////////////////////
    //                           State                            //
    ////////////////////////////////////////////////////////////////

    /// @dev Nodes: bisection over the trace tree; Leaf: both open leaf v; Chunks: over its tensor
    ///      tree; Acc: over Gemm accumulator claims; Check: one chunk (or block) on the verifier;
    ///      Header: the openings differ in op, attributes or shape, a valid witness settles it;
    ///      Input: v = 0, settled against the claim's input.
    enum Phase {
        None,
        Nodes,
        Leaf,
        Chunks,
        Acc,
        Check,
        Header,
        Input,
        ClaimantWon,
        ChallengerWon
    }

    /// @dev `gas` and `inputSize` are what a step verifier charges and checks for a precompile call (IInferenceResults).
    struct Model {
        bytes32 commitment;
        bytes32 inputShapeHash;
        uint32 nodeCount;
        uint32 inputSize;
        uint64 gas;
    }

    struct Claim {
        address claimant;
        uint64 postedAt;
        uint32 openDisputes;
        bool refuted;
        bool bondReleased;
        bytes32 modelId;
        bytes32 inputHash;
        bytes32 outputHash;
        bytes32 traceRoot;
        uint256 bond;
    }

    /// @dev A = the claimant, B = the challenger. `hashA`/`hashB` are the two sides' values at the
    ///      current tree node (Nodes, Chunks), the opened leaf words (Leaf) or the disputed claims
    ///      at `hi` (Acc, Check: a chunk leaf hash when hi = kbs, else an accumulator hash).
    struct Dispute {
        uint256 claimId;
        address challenger;
        Phase phase;
        uint8 turn;
        uint64 lastMove;
        uint64 usedA;
        uint64 usedB;
        uint32 levels;
        uint32 leaf;
        uint32 chunks;
        uint32 kbs;
        uint32 lo;
        uint32 hi;
        uint8 op;
        uint256 index;
        bytes32 rootB;
        bytes32 hashA;
        bytes32 hashB;
        bytes32 pendingLeft;
        bytes32 pendingRight;
        bytes32 headerA;
        bytes32 headerB;
        bytes32 agreedAcc;
        uint256 bond;
    }

    uint8 internal constant OP_GEMM = 1;
    uint8 internal constant A = 0;
    uint8 internal constant B = 1;

    InferenceChunkVerifier public immutable VERIFIER;
    address public immutable REGISTRAR;
    uint256 public immutable CLAIM_BOND;
    uint256 public immutable CHALLENGE_BOND;
    uint64 public immutable CHALLENGE_WINDOW;
    /// @dev Seconds each side may use in total in one dispute.
    uint64 public immutable MAX_CLOCK;
    /// @dev A Gemm chunk over more reduction blocks than this is bisected block by block.
    uint32 public immutable MAX_WHOLE_BLOCKS;

    mapping(bytes32 => Model) internal _models;
    Claim[] internal _claims;
    Dispute[] internal _disputes;
    /// @dev keccak256(modelId, inputHash) -> claim id + 1 of the live claim (0: none).
    mapping(bytes32 => uint256) internal _current;
    /// @dev keccak256(claimId, traceRoot) -> challenged already.
    mapping(bytes32 => bool) internal _challenged;
    mapping(address => uint256) public credit;
    bool transient _locked;

    constructor(
        InferenceChunkVerifier verifier,
        address registrar,
        uint256 claimBond,
        uint256 challengeBond,
        uint64 challengeWindow,
        uint64 maxClock,
        uint32 maxWholeBlocks
    ) {
        if (address(verifier) == address(0) || registrar == address(0)) revert BadConfig();
        if (claimBond == 0 || challengeBond == 0 || challengeWindow == 0 || maxClock == 0 || maxWholeBlocks == 0) revert BadConfig();
        VERIFIER = verifier;
        REGISTRAR = registrar;
        CLAIM_BOND = claimBond;
        CHALLENGE_BOND = challengeBond;
        CHALLENGE_WINDOW = challengeWindow;
        MAX_CLOCK = maxClock;
        MAX_WHOLE_BLOCKS = maxWholeBlocks;
    }

    ////////////////////////////////////////////////////////////////
    //                    Models and claims                       //
    ////////////////////////////////////////////////////////////////

    /// @notice Bind `modelId` (keccak256 of the encoding) to its trace commitment
    ///         keccak256(u32 nodeCount ‖ attrsRoot), its input shape and its inference gas
    ///         (ai/gas.ts inferenceGas: it needs the model's shapes, which L1 does not hold, so it is
    ///         the registrar's word like the commitment).
    function registerModel(bytes32 modelId, uint32 nodeCount, bytes32 attrsRoot, uint32[] calldata inputShape, uint64 gas) external {
        if (msg.sender != REGISTRAR) revert NotRegistrar();
        if (_models[modelId].nodeCount != 0) revert ModelAlreadyRegistered(modelId);
        uint256 inputSize = _size(inputShape);
        if (nodeCount == 0 || gas == 0 || inputSize == 0 || inputSize > type(uint32).max) revert BadConfig();
        bytes32 commitment = keccak256(abi.encodePacked(nodeCount, attrsRoot));
        _models[modelId] = Model({
            commitment: commitment,
            inputShapeHash: keccak256(_packDims(inputShape)),
            nodeCount: nodeCount,
            inputSize: uint32(inputSize),
            gas: gas
        });
        emit ModelRegistered(modelId, commitment, nodeCount, gas, uint32(inputSize));
    }

    /// @dev The trace's last leaf (the model output), opened at post time.
    struct OutputLeaf {
        uint8 op;
        bytes32 attrsHash;
        uint32[] shape;
        bytes32[] proof;
    }

    /// @notice Claim that running `modelId` on the input with keccak256 `inputHash` gives `output`,
    ///         with trace root `traceRoot`; `leaf` opens the output as the trace's last leaf.
    function post(bytes32 modelId, bytes32 inputHash, bytes calldata output, bytes32 traceRoot, OutputLeaf calldata leaf)
        external
        payable
        returns (uint256 claimId)
    {
        uint32 nc = _models[modelId].nodeCount;
        if (nc == 0) revert UnknownModel(modelId);
        if (msg.value != CLAIM_BOND) revert IncorrectBond(CLAIM_BOND);
        bytes32 key = keccak256(abi.encode(modelId, inputHash));
        if (_current[key] != 0 && !_claims[_current[key] - 1].refuted) revert ClaimExists(_current[key] - 1);
        _checkOutput(nc, output, traceRoot, leaf);
        claimId = _claims.length;
        _claims.push(
            Claim({
                claimant: msg.sender,
                postedAt: uint64(block.timestamp),
                openDisputes: 0,
                refuted: false,
                bondReleased: false,
                modelId: modelId,
                inputHash: inputHash,
                outputHash: keccak256(output),
                traceRoot: traceRoot,
                bond: msg.value
            })
        );
        _current[key] = claimId + 1;
        emit Posted(claimId, modelId, inputHash, keccak256(output), traceRoot, msg.sender);
    }

    /// @dev The output bytes are the last leaf's tensor: a claim cannot pair an honest trace with another output.
    function _checkOutput(uint32 nc, bytes calldata output, bytes32 traceRoot, OutputLeaf calldata leaf) internal pure {
        if (output.length == 0 || output.length != _size(leaf.shape)) revert OutputMismatch();
        bytes32 l = _leafHash(nc, leaf.op, leaf.attrsHash, leaf.shape, _tensorRoot(output));
        if (leaf.proof.length != _depth(uint256(nc) + 1) || LibMerkle.climb(l, nc, leaf.proof) != traceRoot) revert BadOutputLeaf();
    }

    /// @notice Dispute claim `claimId` with the trace root the challenger computed.
    function challenge(uint256 claimId, bytes32 traceRoot) external payable returns (uint256 disputeId) {
        if (claimId >= _claims.length) revert UnknownClaim(claimId);
        Claim storage c = _claims[claimId];
        if (msg.value != CHALLENGE_BOND) revert IncorrectBond(CHALLENGE_BOND);
        if (block.timestamp > uint256(c.postedAt) + CHALLENGE_WINDOW) revert ChallengeWindowClosed();
        if (c.refuted) revert ClaimAlreadyRefuted();
        if (traceRoot == c.traceRoot) revert SameTraceRoot();
        bytes32 key = keccak256(abi.encode(claimId, traceRoot));
        if (_challenged[key]) revert DuplicateChallenge();
        _challenged[key] = true;
        c.openDisputes++;
        disputeId = _disputes.length;
        Dispute storage d = _disputes.push();
        d.claimId = claimId;
        d.challenger = msg.sender;
        d.rootB = traceRoot;
        d.bond = msg.value;
        d.lastMove = uint64(block.timestamp);
        _startTree(d, Phase.Nodes, c.traceRoot, traceRoot, _depth(uint256(_models[c.modelId].nodeCount) + 1));
        emit Challenged(disputeId, claimId, msg.sender, traceRoot);
    }

    ////////////////////////////////////////////////////////////////
    //                          Moves                             //
    ////////////////////////////////////////////////////////////////

    /// @notice One bisection move over the trace tree (Nodes) or the tensor tree (Chunks): the two
    ///         children of the mover's value at the current node.
    function bisect(uint256 disputeId, bytes32 left, bytes32 right) external {
        Dispute storage d = _dispute(disputeId);
        if (d.phase != Phase.Nodes && d.phase != Phase.Chunks) revert WrongPhase(uint8(d.phase));
        uint8 mover = _move(d);
        if (LibMerkle.hashPair(left, right) != (mover == A ? d.hashA : d.hashB)) revert BadChildren();
        emit Moved(disputeId, d.phase, mover);
        if (mover == A) {
            (d.pendingLeft, d.pendingRight) = (left, right);
            return;
        }
        // Into the left child if the left children differ, else the right (bisectTrees).
        if (d.pendingLeft != left) {
            (d.hashA, d.hashB, d.index) = (d.pendingLeft, left, d.index * 2);
        } else {
            (d.hashA, d.hashB, d.index) = (d.pendingRight, right, d.index * 2 + 1);
        }
        (d.pendingLeft, d.pendingRight) = (bytes32(0), bytes32(0));
        if (--d.levels == 0) {
            if (d.phase == Phase.Nodes) _atLeaf(disputeId, d);
            else _atChunk(disputeId, d);
        }
    }

    /// @notice Open the mover's leaf v: its op, attributes hash, shape and tensor root. A Gemm
    ///         opening carries the 99-byte attribute record (its K sets the reduction blocks).
    function openLeaf(uint256 disputeId, uint8 op, bytes32 attrsHash, uint32[] calldata shape, bytes32 tensorRoot, bytes calldata attrsRecord)
        external
    {
        Dispute storage d = _dispute(disputeId);
        if (d.phase != Phase.Leaf) revert WrongPhase(uint8(d.phase));
        uint8 mover = _move(d);
        if (_leafHash(d.leaf, op, attrsHash, shape, tensorRoot) != (mover == A ? d.hashA : d.hashB)) revert BadLeafOpening();
        uint256 size = _size(shape);
        if (size == 0) revert BadLeafOpening();
        bytes32 header = keccak256(abi.encodePacked(op, attrsHash, _packDims(shape)));
        if (op == OP_GEMM) {
            if (attrsRecord.length != 99 || keccak256(attrsRecord) != attrsHash || uint8(attrsRecord[0]) != OP_GEMM) revert BadAttrsRecord();
            uint256 k = uint32(bytes4(attrsRecord[17:21]));
            if (k == 0) revert BadAttrsRecord();
            d.kbs = uint32((k + 31) / 32);
        }
        emit Moved(disputeId, Phase.Leaf, mover);
        if (mover == A) {
            (d.headerA, d.pendingLeft) = (header, tensorRoot);
            return;
        }
        d.headerB = header;
        if (header != d.headerA) {
            // Different op, attributes or shape: whichever opening the model supports wins.
            _await(d, Phase.Header);
            return;
        }
        d.op = op;
        d.chunks = uint32((size + 31) / 32);
        bytes32 rootA = d.pendingLeft;
        d.pendingLeft = bytes32(0);
        uint256 depth = _depth(d.chunks);
        _startTree(d, Phase.Chunks, rootA, tensorRoot, depth);
        // One chunk: the tensor root is its leaf.
        if (depth == 0) _atChunk(disputeId, d);
    }

    /// @notice One move of the accumulator bisection: the mover's accumulator hash after block mid = (lo + hi) / 2.
    function postAccumulator(uint256 disputeId, bytes32 acc) external {
        Dispute storage d = _dispute(disputeId);
        if (d.phase != Phase.Acc) revert WrongPhase(uint8(d.phase));
        uint8 mover = _move(d);
        emit Moved(disputeId, Phase.Acc, mover);
        if (mover == A) {
            d.pendingLeft = acc;
            return;
        }
        uint32 mid = (d.lo + d.hi) / 2;
        if (d.pendingLeft == acc) (d.lo, d.agreedAcc) = (mid, acc);
        else (d.hi, d.hashA, d.hashB) = (mid, d.pendingLeft, acc);
        d.pendingLeft = bytes32(0);
        if (d.hi - d.lo == 1) _await(d, Phase.Check);
    }

    /// @notice The one-chunk check (Check) or the proof of one side's leaf opening (Header): a
    ///         witness over either side's trace, recomputed by the verifier.
    function check(uint256 disputeId, InferenceChunkVerifier.Witness calldata w) external {
        Dispute storage d = _dispute(disputeId);
        Phase phase = d.phase;
        if (phase != Phase.Check && phase != Phase.Header) revert WrongPhase(uint8(phase));
        _claimantClockRunning(d);
        Claim storage c = _claims[d.claimId];
        bool overA = w.traceRoot == c.traceRoot;
        if (!overA && w.traceRoot != d.rootB) revert WrongWitness();
        if (w.node.index != d.leaf || w.leaf0.attrsHash != _models[c.modelId].commitment) revert WrongWitness();
        if (phase == Phase.Header) {
            // A valid witness is the proof (every op's output shape, a reshape's too, is fixed by
            // the model and the agreed inputs); its word is not compared.
            VERIFIER.verifyChunk(w);
            _finish(disputeId, d, overA);
            return;
        }
        if (w.chunkIndex != d.index) revert WrongWitness();
        if (d.op == OP_GEMM) {
            if (w.segFrom != d.lo || w.segTo != d.hi) revert WrongWitness();
            if (d.lo > 0 && keccak256(abi.encodePacked(w.accIn)) != d.agreedAcc) revert AccumulatorsNotAgreed();
        }
        bytes32 word = VERIFIER.verifyChunk(w);
        // A whole chunk is compared by its leaf hash, an accumulator claim as is.
        bytes32 value = d.op == OP_GEMM && d.hi < d.kbs ? word : _hashWord(word);
        _finish(disputeId, d, value == d.hashA);
    }

    /// @notice v = 0: the input leaf differs; recompute it from the input bytes and the model.
    function checkInput(uint256 disputeId, bytes calldata input, uint32[] calldata shape) external {
        Dispute storage d = _dispute(disputeId);
        if (d.phase != Phase.Input) revert WrongPhase(uint8(d.phase));
        _claimantClockRunning(d);
        Claim storage c = _claims[d.claimId];
        Model storage m = _models[c.modelId];
        if (keccak256(input) != c.inputHash || keccak256(_packDims(shape)) != m.inputShapeHash || input.length != _size(shape)) revert InputMismatch();
        bytes32 leaf0 = _leafHash(0, 0, m.commitment, shape, _tensorRoot(input));
        _finish(disputeId, d, leaf0 == d.hashA);
    }

    /// @notice The side to move let its clock run out: the other side wins.
    function timeout(uint256 disputeId) external {
        Dispute storage d = _dispute(disputeId);
        if (_used(d, d.turn) <= MAX_CLOCK) revert ClockNotExpired();
        _finish(disputeId, d, d.turn == B);
    }

    ////////////////////////////////////////////////////////////////
    //                    Finality and bonds                      //
    ////////////////////////////////////////////////////////////////

    /// @notice Credit a final claim's bond back to its claimant.
    function releaseBond(uint256 claimId) external {
        if (claimId >= _claims.length) revert UnknownClaim(claimId);
        if (!isFinal(claimId)) revert NotFinal();
        Claim storage c = _claims[claimId];
        if (c.bondReleased) revert BondAlreadyReleased();
        c.bondReleased = true;
        credit[c.claimant] += c.bond;
    }

    function withdraw() external {
        if (_locked) revert Reentrancy();
        _locked = true;
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NoCredit();
        credit[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
        _locked = false;
    }

    ////////////////////////////////////////////////////////////////
    //                          Views                             //
    ////////////////////////////////////////////////////////////////

    /// @inheritdoc IInferenceResults
    function inferenceOf(bytes32 modelId) external view returns (bool registered, uint256 gas, uint256 inputSize) {
        Model storage m = _models[modelId];
        if (m.nodeCount == 0) return (false, 0, 0);
        return (true, m.gas, m.inputSize);
    }

    /// @inheritdoc IInferenceResults
    function finalOutput(bytes32 modelId, bytes32 inputHash) external view returns (bool final_, bytes32 outputHash) {
        uint256 cur = _current[keccak256(abi.encode(modelId, inputHash))];
        if (cur == 0 || !isFinal(cur - 1)) return (false, bytes32(0));
        return (true, _claims[cur - 1].outputHash);
    }

    /// @notice Past its window, beaten by no challenger, no dispute open.
    function isFinal(uint256 claimId) public view returns (bool) {
        if (claimId >= _claims.length) revert UnknownClaim(claimId);
        Claim storage c = _claims[claimId];
        return !c.refuted && c.openDisputes == 0 && block.timestamp > uint256(c.postedAt) + CHALLENGE_WINDOW;
    }

    function model(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    function claim(uint256 claimId) external view returns (Claim memory) {
        if (claimId >= _claims.length) revert UnknownClaim(claimId);
        return _claims[claimId];
    }

    function dispute(uint256 disputeId) external view returns (Dispute memory) {
        if (disputeId >= _disputes.length) revert UnknownDispute(disputeId);
        return _disputes[disputeId];
    }

    function claimCount() external view returns (uint256) {
        return _claims.length;
    }

    function disputeCount() external view returns (uint256) {
        return _disputes.length;
    }

    /// @notice Seconds used so far by `side` (0 claimant, 1 challenger), counting the running turn.
    function used(uint256 disputeId, uint8 side) external view returns (uint64) {
        if (disputeId >= _disputes.length) revert UnknownDispute(disputeId);
        return _used(_disputes[disputeId], side);
    }

    ////////////////////////////////////////////////////////////////
    //                         Internals                          //
    ////////////////////////////////////////////////////////////////

    function _dispute(uint256 disputeId) internal view returns (Dispute storage d) {
        if (disputeId >= _disputes.length) revert UnknownDispute(disputeId);
        d = _disputes[disputeId];
        Phase p = d.phase;
        if (p == Phase.ClaimantWon || p == Phase.ChallengerWon) revert WrongPhase(uint8(p));
    }

    function _party(Dispute storage d, uint8 side) internal view returns (address) {
        return side == A ? _claims[d.claimId].claimant : d.challenger;
    }

    function _used(Dispute storage d, uint8 side) internal view returns (uint64) {
        uint64 u = side == A ? d.usedA : d.usedB;
        bool running = side == d.turn && d.phase != Phase.ClaimantWon && d.phase != Phase.ChallengerWon;
        return running ? u + (uint64(block.timestamp) - d.lastMove) : u;
    }

    /// @dev The sender must be the side to move, within its clock; charges its time and passes the turn.
    function _move(Dispute storage d) internal returns (uint8 mover) {
        mover = d.turn;
        if (msg.sender != _party(d, mover)) {
            if (msg.sender == _party(d, mover ^ 1)) revert NotYourTurn();
            revert NotAParty();
        }
        uint64 u = _used(d, mover);
        if (u > MAX_CLOCK) revert ClockTimeExceeded();
        if (mover == A) d.usedA = u;
        else d.usedB = u;
        d.lastMove = uint64(block.timestamp);
        d.turn = mover ^ 1;
    }

    /// @dev The final proofs may come from anyone while the claimant's clock runs.
    function _claimantClockRunning(Dispute storage d) internal view {
        if (_used(d, A) > MAX_CLOCK) revert ClockTimeExceeded();
    }

    function _startTree(Dispute storage d, Phase phase, bytes32 rootA, bytes32 rootB, uint256 depth) internal {
        d.phase = phase;
        (d.hashA, d.hashB, d.index, d.levels) = (rootA, rootB, 0, uint32(depth));
    }

    /// @dev Enter a phase that waits for the claimant (a move or a proof); the clock passes to it.
    function _await(Dispute storage d, Phase phase) internal {
        d.phase = phase;
        if (d.turn != A) {
            d.usedB = _used(d, B);
            d.lastMove = uint64(block.timestamp);
            d.turn = A;
        }
    }

    /// @dev The node bisection ended at leaf v = index.
    function _atLeaf(uint256 disputeId, Dispute storage d) internal {
        uint256 v = d.index;
        d.leaf = uint32(v);
        uint32 nc = _models[_claims[d.claimId].modelId].nodeCount;
        // Beyond the real leaves the honest tree holds zero words.
        if (v > nc) return _finish(disputeId, d, d.hashA == bytes32(0));
        _await(d, v == 0 ? Phase.Input : Phase.Leaf);
    }

    /// @dev The chunk bisection ended at chunk c = index.
    function _atChunk(uint256 disputeId, Dispute storage d) internal {
        if (d.index >= d.chunks) return _finish(disputeId, d, d.hashA == bytes32(0));
        if (d.op == OP_GEMM) {
            (d.lo, d.hi) = (0, d.kbs);
            // Accumulator claim 0 is zeros by definition, claim kbs the chunk itself.
            if (d.kbs > MAX_WHOLE_BLOCKS) return _await(d, Phase.Acc);
        }
        _await(d, Phase.Check);
    }

    function _finish(uint256 disputeId, Dispute storage d, bool claimantWon) internal {
        Claim storage c = _claims[d.claimId];
        d.phase = claimantWon ? Phase.ClaimantWon : Phase.ChallengerWon;
        c.openDisputes--;
        if (claimantWon) {
            credit[c.claimant] += d.bond;
        } else {
            uint256 prize = d.bond;
            // The first challenger to beat the claim takes its bond; later winners get their own back.
            if (!c.refuted) {
                c.refuted = true;
                prize += c.bond;
                c.bond = 0;
            }
            credit[d.challenger] += prize;
        }
        emit DisputeResolved(disputeId, d.claimId, claimantWon);
    }

    function _packDims(uint32[] calldata shape) internal pure returns (bytes memory dims) {
        dims = new bytes(4 * shape.length);
        for (uint256 i = 0; i < shape.length; i++) {
            bytes4 b = bytes4(shape[i]);
            for (uint256 j = 0; j < 4; j++) dims[4 * i + j] = b[j];
        }
    }

    /// @dev ai/trace.ts leafHash: keccak256(u32 index ‖ u8 op ‖ attrsHash ‖ u8 rank ‖ u32 dims… ‖ tensorRoot).
    function _leafHash(uint32 index, uint8 op, bytes32 ah, uint32[] calldata shape, bytes32 root) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(index, op, ah, uint8(shape.length), _packDims(shape), root));
    }

    function _size(uint32[] calldata shape) internal pure returns (uint256 s) {
        s = 1;
        for (uint256 i = 0; i < shape.length; i++) s *= shape[i];
    }

    /// @dev ai/trace.ts tensorRoot: leaves keccak256 of 32-byte chunks (the last zero-padded), zero words to a power of two.
    function _tensorRoot(bytes calldata data) internal pure returns (bytes32) {
        uint256 n = (data.length + 31) / 32;
        uint256 width = uint256(1) << _depth(n);
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i = 0; i < n; i++) {
            uint256 end = i * 32 + 32 > data.length ? data.length : i * 32 + 32;
            level[i] = keccak256(bytes.concat(data[i * 32:end], new bytes(i * 32 + 32 - end)));
        }
        for (; width > 1; width /= 2) {
            for (uint256 i = 0; i < width / 2; i++) level[i] = LibMerkle.hashPair(level[2 * i], level[2 * i + 1]);
        }
        return level[0];
    }

    function _depth(uint256 leafCount) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < leafCount) d++;
    }

    function _hashWord(bytes32 a) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            h := keccak256(0x00, 0x20)
        }
    }
}
