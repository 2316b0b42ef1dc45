import { describe, expect, it } from 'vitest';
import { isCopyForgeError } from './errors.js';
import { abortable, sleep } from './sleep.js';

describe('sleep', () => {
  it('rejects with the signal reason when aborted', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});

describe('abortable', () => {
  it('settles like the promise when the signal does not fire', async () => {
    const controller = new AbortController();
    await expect(abortable(Promise.resolve(3), controller.signal)).resolves.toBe(3);
    await expect(abortable(Promise.reject(new Error('boom')), controller.signal)).rejects.toThrow('boom');
  });

  it('rejects with CF_ABORTED at once when the signal fires, even if the promise never settles', async () => {
    const controller = new AbortController();
    const racing = abortable(new Promise<never>(() => {}), controller.signal);
    controller.abort();
    const error = await racing.catch((thrown: unknown) => thrown);
    expect(isCopyForgeError(error) && error.code).toBe('CF_ABORTED');
  });

  it('rejects when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await abortable(Promise.resolve(1), controller.signal).catch((thrown: unknown) => thrown);
    expect(isCopyForgeError(error) && error.code).toBe('CF_ABORTED');
  });
});
