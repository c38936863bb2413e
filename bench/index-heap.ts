// A binary min-heap of ids 0 … capacity − 1, ordered by a key each (read from a shared array),
// then by id: the simulations' queues of customers by due time, without an object per entry.
// An id's key must not change while the id is in the heap.

export class IndexHeap {
  readonly #ids: Int32Array;
  readonly #keys: Float64Array;
  #size = 0;

  constructor(capacity: number, keys: Float64Array) {
    this.#ids = new Int32Array(capacity);
    this.#keys = keys;
  }

  get size(): number {
    return this.#size;
  }

  /** The id with the smallest key (then the smallest id), or -1 when empty. */
  peek(): number {
    return this.#size > 0 ? this.#ids[0]! : -1;
  }

  push(id: number): void {
    if (this.#size === this.#ids.length) throw new RangeError(`IndexHeap: full (capacity ${this.#ids.length}), cannot push ${id}`);
    const ids = this.#ids;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = ids[parent]!;
      if (!this.#before(id, above)) break;
      ids[i] = above;
      i = parent;
    }
    ids[i] = id;
  }

  /** Removes and returns the id with the smallest key (then the smallest id), or -1 when empty. */
  pop(): number {
    if (this.#size === 0) return -1;
    const ids = this.#ids;
    const top = ids[0]!;
    const last = ids[--this.#size]!;
    const size = this.#size;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#before(ids[child + 1]!, ids[child]!)) child++;
      if (!this.#before(ids[child]!, last)) break;
      ids[i] = ids[child]!;
      i = child;
    }
    if (size > 0) ids[i] = last;
    return top;
  }

  #before(a: number, b: number): boolean {
    const ka = this.#keys[a]!;
    const kb = this.#keys[b]!;
    return ka < kb || (ka === kb && a < b);
  }
}
