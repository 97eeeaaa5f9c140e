// Channel (de)compression. Before Fjord a channel is a zlib stream; from Fjord its first byte
// says which: a zlib CMF byte (low nibble 8 or 15) or 0x01 for brotli (followed by the stream).
// Decompressed output is capped at MAX_RLP_BYTES_PER_CHANNEL *while* inflating, so a small
// compression bomb never allocates more than the cap; what fits under the cap is kept, as the
// spec says the channel then behaves as if it held only those bytes.
import { constants, createBrotliDecompress, createInflate, deflateSync, brotliCompressSync, type BrotliDecompress, type Inflate } from 'node:zlib';
import { CompressionError } from './errors.js';

/** MAX_RLP_BYTES_PER_CHANNEL before Fjord and from Fjord on. */
export const MAX_RLP_BYTES_PER_CHANNEL = 10_000_000;
export const FJORD_MAX_RLP_BYTES_PER_CHANNEL = 100_000_000;
/** Channel version byte of brotli-compressed channels (Fjord). */
export const CHANNEL_VERSION_BROTLI = 0x01;

export type ChannelCompression = 'zlib' | 'brotli';

export interface DecompressResult {
  readonly algorithm: ChannelCompression;
  /** At most the cap; a prefix of the full output if `stopped` is not null. */
  readonly data: Uint8Array;
  /**
   * Why decompression stopped early: the size cap, input that ends before the compressed stream
   * does ('truncated', which op-batcher's flushed-but-unfinished zlib channels always are), or
   * a corrupt stream.
   */
  readonly stopped: null | { readonly code: 'size-cap' | 'truncated' | 'decompression-failed'; readonly reason: string };
}

/** Which decompressor a channel needs; throws CompressionError if it cannot be identified. */
export function channelCompression(data: Uint8Array, fjord: boolean): ChannelCompression {
  if (data.length === 0) throw new CompressionError('empty-channel', 'channel data is empty');
  const first = data[0]!;
  // Before Fjord everything goes to the zlib reader, which itself rejects a bad header.
  if (!fjord) return 'zlib';
  if ((first & 0x0f) === 8 || (first & 0x0f) === 15) return 'zlib';
  if (first === CHANNEL_VERSION_BROTLI) return 'brotli';
  throw new CompressionError('unknown-compression', `unknown channel compression type byte 0x${first.toString(16).padStart(2, '0')}`);
}

function drain(stream: Inflate | BrotliDecompress, input: Uint8Array, maxBytes: number, algorithm: ChannelCompression): Promise<DecompressResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (stopped: DecompressResult['stopped']): void => {
      if (settled) return;
      settled = true;
      resolve({ algorithm, data: new Uint8Array(Buffer.concat(chunks, total)), stopped });
    };
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      const room = maxBytes - total;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        total = maxBytes;
        // Stop inflating now: the rest of a bomb is never produced.
        stream.destroy();
        finish({ code: 'size-cap', reason: `decompressed data exceeds ${maxBytes} bytes; only the first ${maxBytes} are used` });
        return;
      }
      chunks.push(chunk);
      total += chunk.length;
    });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // zlib and brotli both report input that stops mid-stream as Z_BUF_ERROR.
      const code = err.code === 'Z_BUF_ERROR' ? 'truncated' : 'decompression-failed';
      finish({ code, reason: `${algorithm}: ${err.message}` });
    });
    stream.on('end', () => finish(null));
    stream.end(input);
  });
}

/**
 * Decompresses channel data with an output cap. Never rejects for bad data once the algorithm
 * is known: a corrupt or truncated stream yields the bytes decoded before the fault.
 */
export async function decompressChannel(data: Uint8Array, opts: { readonly fjord: boolean; readonly maxBytes: number }): Promise<DecompressResult> {
  const algorithm = channelCompression(data, opts.fjord);
  // Small output chunks bound the overshoot past the cap to one chunk.
  const chunkSize = 64 * 1024;
  if (algorithm === 'brotli') {
    return drain(createBrotliDecompress({ chunkSize }), data.subarray(1), opts.maxBytes, algorithm);
  }
  return drain(createInflate({ chunkSize }), data, opts.maxBytes, algorithm);
}

/** Compresses channel data the way a batcher does (brotli gets the 0x01 version byte). */
export function compressChannel(data: Uint8Array, algorithm: ChannelCompression): Uint8Array {
  if (algorithm === 'zlib') return new Uint8Array(deflateSync(data, { level: 9 }));
  const body = brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 10, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  const out = new Uint8Array(1 + body.length);
  out[0] = CHANNEL_VERSION_BROTLI;
  out.set(body, 1);
  return out;
}
