export * from './abi.js';
export * from './contract.js';
export * from './player.js';
export * from './settler.js';
export * from './dishonest.js';
