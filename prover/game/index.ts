// The bisection game engine, independent of L1: types, trace providers, the in-process
// referee, the honest solver and the agent. The L1 binding implements GameContract (and reads
// GameParams.bonds from the contract's getRequiredBond per depth).
export * from './types.js';
export { Position, PositionError } from './position.js';
export * from './tree.js';
export * from './trace-provider.js';
export * from './alphabet.js';
export * from './game.js';
export * from './solver.js';
export * from './agent.js';
export * from './actors.js';
