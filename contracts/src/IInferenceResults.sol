// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What an L1 step verifier needs to prove a call of the L2 inference precompile: the
///         model's gas (ai/gas.ts, charged before running, a function of the model alone) and input
///         length, and the final output of (model, input) once its dispute game settled it.
interface IInferenceResults {
    /// @notice `registered` false (and zeros) for an unknown model; `gas` is what the precompile charges
    ///         for one inference of it, `inputSize` the int8 elements (bytes) its input takes.
    function inferenceOf(bytes32 modelId) external view returns (bool registered, uint256 gas, uint256 inputSize);

    /// @notice `final_` once a claim of (modelId, inputHash = keccak256(input bytes)) is final; then
    ///         `outputHash` is keccak256 of the output bytes.
    function finalOutput(bytes32 modelId, bytes32 inputHash) external view returns (bool final_, bytes32 outputHash);
}
