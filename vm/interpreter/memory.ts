// EVM memory: a byte array that grows in 32-byte words. Capacity doubles so
// expansion is amortised; `size` is what the EVM sees (MSIZE).

export class Memory {
  buf: Uint8Array;
  /** Active size in bytes, always a multiple of 32. */
  size = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Grows the active size to `newSize` bytes (a multiple of 32, larger than size). Gas is the caller's job. */
  grow(newSize: number): void {
    if (newSize > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < newSize) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.size));
      this.buf = next;
    }
    this.size = newSize;
  }

  /** A copy of memory[offset, offset+length); the range is inside the active size. */
  read(offset: number, length: number): Uint8Array {
    return this.buf.slice(offset, offset + length);
  }

  /** A view (no copy) of memory[offset, offset+length); valid until the next grow. */
  view(offset: number, length: number): Uint8Array {
    return this.buf.subarray(offset, offset + length);
  }

  write(offset: number, data: Uint8Array): void {
    this.buf.set(data, offset);
  }

  /** Writes data[srcOffset, srcOffset+length) at offset, zero-filling past the end of data. */
  writePadded(offset: number, data: Uint8Array, srcOffset: number, length: number): void {
    if (length === 0) return;
    const available = srcOffset < data.length ? Math.min(length, data.length - srcOffset) : 0;
    if (available > 0) this.buf.set(data.subarray(srcOffset, srcOffset + available), offset);
    if (available < length) this.buf.fill(0, offset + available, offset + length);
  }
}
