import { describe, expect, it, vi } from 'vitest';
import { type CopyForgeEvent, CopyForgeEvents, eventTypes } from './events.js';

describe('CopyForgeEvents', () => {
  it('delivers the envelope { id, type, timestamp, payload } and unsubscribes', () => {
    const events = new CopyForgeEvents();
    const received: CopyForgeEvent<'generate.title-end'>[] = [];
    const stop = events.on('generate.title-end', (event) => received.push(event));
    events.emit('generate.title-end', { noteId: 'n1', creativeId: 'n1#1', title: 'hello' });
    stop();
    stop();
    events.emit('generate.title-end', { noteId: 'n1', creativeId: 'n1#2', title: 'again' });
    expect(received).toHaveLength(1);
    const [event] = received;
    expect(event?.type).toBe('generate.title-end');
    expect(event?.payload.title).toBe('hello');
    expect(event?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(event?.timestamp ?? ''))).toBe(false);
    expect(events.listenerCount('generate.title-end')).toBe(0);
  });

  it('feeds onAny listeners every type and rejects unknown names', () => {
    const events = new CopyForgeEvents();
    const types: string[] = [];
    const stop = events.onAny((event) => types.push(event.type));
    events.emit('pipeline.item-start', { stage: 's', index: 0 });
    events.emit('rm.plugin-error', { rewardModel: 'x', code: 'CF_TIMEOUT', message: 'slow' });
    stop();
    events.emit('pipeline.item-start', { stage: 's', index: 1 });
    expect(types).toEqual(['pipeline.item-start', 'rm.plugin-error']);
    // @ts-expect-error the set of names is closed
    expect(() => events.on('made.up-event', () => {})).toThrow(/Unknown CopyForge event type/);
  });

  it('keeps names in the stage.noun-verb form', () => {
    for (const type of eventTypes) expect(type).toMatch(/^[a-z]+\.[a-z]+(-[a-z]+)+$/);
  });

  it('isolates a throwing listener from the emitter and from other listeners', async () => {
    const events = new CopyForgeEvents();
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const second = vi.fn();
    events.on('pipeline.item-end', () => {
      throw new Error('listener bug');
    });
    events.on('pipeline.item-end', second);
    expect(() => events.emit('pipeline.item-end', { stage: 's', index: 0, durationMs: 1 })).not.toThrow();
    expect(second).toHaveBeenCalledOnce();
    await Promise.resolve();
    expect(warning).toHaveBeenCalledWith(expect.stringContaining('listener bug'));
    warning.mockRestore();
  });
});
