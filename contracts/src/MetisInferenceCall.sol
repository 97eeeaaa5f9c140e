// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMPT} from "./LibMPT.sol";
import {IInferenceResults} from "./IInferenceResults.sol";

/// @notice A call of the inference precompile (0x…0a10) proven from the L1 inference game: shared
///         by the CALLS part (an inner call) and MetisTxBeginStep (a top-level call).
abstract contract MetisInferenceCall {
    /// @dev A call to the inference precompile with no L1 inference results to read.
    error InferenceCall();
    /// @dev The L2 has the model registered; the L1 inference game does not.
    error ModelNotOnL1(bytes32 modelId);
    /// @dev No claim of the L1 inference game has settled this inference yet.
    error InferenceNotFinal(bytes32 modelId, bytes32 inputHash);

    /// @notice The final inferences a call of 0x…0a10 is proven by (zero: such calls revert).
    IInferenceResults public immutable INFERENCE_RESULTS;

    constructor(IInferenceResults inferenceResults) {
        INFERENCE_RESULTS = inferenceResults;
    }

    /// @dev runInference's checks in its order (vm/precompiles/inference.ts) on `input` with
    ///      `gas`: whether it succeeds, the model's gas, and the hash of the output the L1 game
    ///      settled (its bytes a witness preimage).
    function _settledInference(LibMPT.Store memory st, bytes32 modelsRoot, bytes memory input, uint256 gas)
        internal
        view
        returns (bool, uint256, bytes32)
    {
        if (address(INFERENCE_RESULTS) == address(0)) revert InferenceCall();
        if (input.length < 32) return (false, 0, 0);
        bytes32 id;
        assembly ("memory-safe") {
            id := mload(add(input, 32))
        }
        // Registered on the L2: modelsRoot maps keccak(modelId) to the id.
        (bool found, bytes memory v) = LibMPT.get(st, modelsRoot, abi.encodePacked(keccak256(abi.encodePacked(id))));
        if (!found || v.length != 32 || bytes32(v) != id) return (false, 0, 0);
        (bool registered, uint256 cost, uint256 inputSize) = INFERENCE_RESULTS.inferenceOf(id);
        if (!registered) revert ModelNotOnL1(id);
        if (gas < cost || input.length - 32 != inputSize) return (false, 0, 0);
        bytes32 inputHash;
        assembly ("memory-safe") {
            inputHash := keccak256(add(input, 64), inputSize)
        }
        (bool settled, bytes32 outputHash) = INFERENCE_RESULTS.finalOutput(id, inputHash);
        if (!settled) revert InferenceNotFinal(id, inputHash);
        return (true, cost, outputHash);
    }
}
