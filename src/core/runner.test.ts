import { describe, expect, it } from 'vitest';
import { CopyForgeError } from './errors.js';
import { CopyForgeEvents } from './events.js';
import { mapConcurrent, Pipeline } from './runner.js';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('Pipeline', () => {
  it('never runs more than `concurrency` items of a stage at once, and keeps source order', async () => {
    let active = 0;
    let peak = 0;
    const pipeline = Pipeline.from<number>().pipe({
      name: 'slow',
      concurrency: 3,
      async run(item) {
        active++;
        peak = Math.max(peak, active);
        await sleep(item % 2 === 0 ? 15 : 2);
        active--;
        return item * 10;
      },
    });
    const results = await collect(pipeline.run(Array.from({ length: 20 }, (_, index) => index)));
    expect(peak).toBe(3);
    expect(results.map((result) => (result.ok ? result.value : null))).toEqual(
      Array.from({ length: 20 }, (_, index) => index * 10),
    );
  });

  it('applies backpressure: a slow sink keeps the source from running ahead', async () => {
    let pulled = 0;
    async function* source() {
      for (let index = 0; index < 1_000; index++) {
        pulled++;
        yield index;
      }
    }
    const pipeline = Pipeline.from<number>()
      .pipe({ name: 'a', concurrency: 4, run: (item) => item })
      .pipe({ name: 'b', concurrency: 2, run: (item) => item });
    let consumed = 0;
    for await (const _ of pipeline.run(source())) {
      consumed++;
      await sleep(1);
      // Buffered items are bounded by the sum of stage windows plus the source slot.
      expect(pulled - consumed).toBeLessThanOrEqual(4 + 2 + 1 + 1);
      if (consumed === 50) break;
    }
    expect(pulled).toBeLessThan(60);
  });

  it('isolates a failing item: it is reported with its code and stage, the rest go on', async () => {
    const events = new CopyForgeEvents();
    const errors: string[] = [];
    events.on('pipeline.item-error', (event) => errors.push(`${event.payload.index}:${event.payload.code}`));
    const pipeline = Pipeline.from<number>()
      .pipe({
        name: 'check',
        run(item) {
          if (item === 2) throw new CopyForgeError('CF_INVALID_NOTE', 'bad note');
          if (item === 4) throw new Error('unexpected');
          return item;
        },
      })
      .pipe({ name: 'double', run: (item) => item * 2 });
    const results = await collect(pipeline.run([0, 1, 2, 3, 4, 5], { events }));
    expect(results.filter((result) => result.ok).map((result) => (result.ok ? result.value : 0))).toEqual([
      0, 2, 6, 10,
    ]);
    const failures = results.filter((result) => !result.ok);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ index: 2, stage: 'check', input: 2, error: { code: 'CF_INVALID_NOTE' } });
    expect(failures[1]).toMatchObject({
      index: 4,
      stage: 'check',
      error: { code: 'CF_INTERNAL', message: 'unexpected' },
    });
    expect(errors).toEqual(['2:CF_INVALID_NOTE', '4:CF_INTERNAL']);
  });

  it('stops on abort: no new items start and the iterator throws CF_ABORTED', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const pipeline = Pipeline.from<number>().pipe({
      name: 'work',
      concurrency: 2,
      async run(item, { signal }) {
        started.push(item);
        await sleep(5);
        if (signal.aborted) throw signal.reason;
        return item;
      },
    });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const result of pipeline.run(
          Array.from({ length: 100 }, (_, index) => index),
          {
            signal: controller.signal,
          },
        )) {
          if (result.ok) seen.push(result.value);
          if (seen.length === 3) controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'CF_ABORTED' });
    await sleep(20);
    expect(seen).toEqual([0, 1, 2]);
    expect(started.length).toBeLessThanOrEqual(5);
  });

  it('yields in completion order when ordered is false', async () => {
    const pipeline = Pipeline.from<number>().pipe({
      name: 'wait',
      concurrency: 3,
      async run(item) {
        await sleep(item);
        return item;
      },
    });
    const results = await collect(pipeline.run([30, 1, 15], { ordered: false }));
    expect(results.map((result) => (result.ok ? result.value : -1))).toEqual([1, 15, 30]);
  });
});

describe('mapConcurrent', () => {
  it('rejects a non-positive concurrency with CF_INVALID_CONFIG', async () => {
    await expect(collect(mapConcurrent([1], 0, async (item) => item))).rejects.toMatchObject({
      code: 'CF_INVALID_CONFIG',
    });
  });
});
