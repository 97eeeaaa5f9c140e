// Gas constants (names from execution-specs' vm/gas.py) and the memory cost function.

export const GAS_ZERO = 0;
export const GAS_JUMPDEST = 1;
export const GAS_BASE = 2;
export const GAS_VERY_LOW = 3;
export const GAS_LOW = 5;
export const GAS_MID = 8;
export const GAS_HIGH = 10;
export const GAS_STORAGE_SET = 20000;
export const GAS_STORAGE_UPDATE = 5000;
export const GAS_STORAGE_CLEAR_REFUND = 4800;
export const GAS_EXPONENTIATION = 10;
export const GAS_EXPONENTIATION_PER_BYTE = 50;
export const GAS_MEMORY = 3;
export const GAS_KECCAK256 = 30;
export const GAS_KECCAK256_WORD = 6;
export const GAS_COPY = 3;
export const GAS_BLOCK_HASH = 20;
export const GAS_LOG = 375;
export const GAS_LOG_DATA = 8;
export const GAS_LOG_TOPIC = 375;
export const GAS_CREATE = 32000;
export const GAS_CODE_DEPOSIT = 200;
export const GAS_NEW_ACCOUNT = 25000;
export const GAS_CALL_VALUE = 9000;
export const GAS_CALL_STIPEND = 2300;
export const GAS_SELF_DESTRUCT = 5000;
export const GAS_SELF_DESTRUCT_NEW_ACCOUNT = 25000;
export const GAS_COLD_SLOAD = 2100;
export const GAS_COLD_ACCOUNT_ACCESS = 2600;
export const GAS_WARM_ACCESS = 100;
export const GAS_INIT_CODE_WORD_COST = 2;
export const GAS_BLOBHASH_OPCODE = 3;
export const GAS_FAST_STEP = 5;

export const STACK_LIMIT = 1024;
export const STACK_DEPTH_LIMIT = 1024;
export const MAX_CODE_SIZE = 0x6000;
export const MAX_INIT_CODE_SIZE = 2 * MAX_CODE_SIZE;

/**
 * Memory beyond this many bytes costs more gas than any transaction can carry
 * (2^32 bytes cost about 3.5e13 gas), so larger offsets are an immediate out-of-gas
 * and every size below fits a double exactly.
 */
export const MEMORY_LIMIT = 0xffffffff;

/** Gas for `words` 32-byte words of memory: 3 per word plus words²/512. */
export function memoryCost(words: number): number {
  return words * GAS_MEMORY + Math.floor((words * words) / 512);
}

export function ceilWords(bytes: number): number {
  return Math.ceil(bytes / 32);
}
