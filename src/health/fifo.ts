/**
 * fifo: a first-in, first-out queue with O(1) shift. Array.prototype.shift moves every element
 * left; the scheduler's queues take thousands of items a second, so this one advances a head
 * index and compacts only once the taken part outweighs what is left.
 */

/** COMPACT_AFTER is the least number of taken slots worth a compaction (a splice of what is left). */
const COMPACT_AFTER = 1024;

/** Fifo holds items in the order they were pushed. */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  /** size counts the items not yet taken. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** push adds `item` at the tail. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** peek returns the head item without taking it, or undefined when empty. */
  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** shift takes the head item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#head += 1;
    // A queue that never runs dry (a deadline queue under steady load) must still drop what it
    // has handed out, or it would grow without bound: compact once the taken half dominates.
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** clear drops every item. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
