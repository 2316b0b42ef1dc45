import { describe, expect, it } from 'vitest';
import { chooseThreads } from './threads.js';

describe('chooseThreads', () => {
  it('divides the cores by the model processes, less one for Node, and an option or COPYFORGE_THREADS wins', () => {
    const idle = { cores: 8, load: 0 };
    expect(chooseThreads(undefined, {}, idle)).toMatchObject({ threads: 7, source: 'default', modelProcesses: 1 });
    expect(chooseThreads(undefined, {}, { cores: 2, load: 0 }).threads).toBe(1);
    expect(chooseThreads(undefined, { COPYFORGE_MODEL_PROCESSES: '2' }, idle)).toMatchObject({ threads: 3 });
    expect(chooseThreads(undefined, { COPYFORGE_MODEL_PROCESSES: '3' }, { cores: 2, load: 0 }).threads).toBe(1);
    expect(chooseThreads(undefined, { COPYFORGE_THREADS: '3' }, idle)).toMatchObject({
      threads: 3,
      source: 'COPYFORGE_THREADS',
    });
    expect(chooseThreads(5, { COPYFORGE_THREADS: '3' }, idle)).toMatchObject({ threads: 5, source: 'option' });
  });

  it('flags more threads than free cores, from the load average', () => {
    expect(chooseThreads(2, {}, { cores: 2, load: 0.2 })).toMatchObject({ freeCores: 2, oversubscribed: false });
    expect(chooseThreads(2, {}, { cores: 2, load: 1.1 })).toMatchObject({ freeCores: 1, oversubscribed: true });
    // A machine busier than its cores still lets one thread run without a warning.
    expect(chooseThreads(1, {}, { cores: 2, load: 3 })).toMatchObject({ freeCores: 0, oversubscribed: false });
  });

  it('rejects a malformed environment with the variable named', () => {
    expect(() => chooseThreads(undefined, { COPYFORGE_THREADS: 'two' })).toThrow(
      expect.objectContaining({ code: 'CF_INVALID_CONFIG', message: expect.stringMatching(/COPYFORGE_THREADS/) }),
    );
    expect(() => chooseThreads(undefined, { COPYFORGE_MODEL_PROCESSES: '0' })).toThrow(/COPYFORGE_MODEL_PROCESSES/);
  });
});
