/** A fixed pool of items (context sequences) handed out one caller at a time. */
export class Pool<Item> {
  readonly #idle: Item[];
  readonly #waiting: ((item: Item) => void)[] = [];

  constructor(items: Item[]) {
    this.#idle = [...items];
  }

  /** Waits for a free item. Rejects with the signal's reason when aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<Item> {
    const item = this.#idle.pop();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(take);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      const take = (next: Item) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(next);
      };
      this.#waiting.push(take);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Returns an item to the pool (or straight to the next waiter). */
  release(item: Item): void {
    const next = this.#waiting.shift();
    if (next) next(item);
    else this.#idle.push(item);
  }

  /** Runs `fn` with an item and always gives it back. */
  async use<Result>(fn: (item: Item) => Promise<Result>, signal?: AbortSignal): Promise<Result> {
    const item = await this.acquire(signal);
    try {
      return await fn(item);
    } finally {
      this.release(item);
    }
  }
}
