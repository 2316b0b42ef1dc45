import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { CopyForgeError } from './errors.js';
import { Pipeline } from './runner.js';
import { recordSpan } from './telemetry.js';

function setUp() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer('test') };
}

describe('telemetry', () => {
  it('records one span per stage and item with copyforge.* attributes and error codes', async () => {
    const { exporter, tracer } = setUp();
    const pipeline = Pipeline.from<number>()
      .pipe({
        name: 'validate',
        run(item) {
          if (item === 1) throw new CopyForgeError('CF_INVALID_NOTE', 'bad');
          return item;
        },
      })
      .pipe({ name: 'generate', run: (item) => item });
    for await (const _ of pipeline.run([0, 1, 2], { tracer })) {
      // drain
    }
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => `${span.name}#${span.attributes['copyforge.item.index']}`).sort()).toEqual([
      'copyforge.generate#0',
      'copyforge.generate#2',
      'copyforge.validate#0',
      'copyforge.validate#1',
      'copyforge.validate#2',
    ]);
    const failed = spans.find((span) => span.attributes['copyforge.item.index'] === 1);
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.attributes['copyforge.error.code']).toBe('CF_INVALID_NOTE');
    expect(failed?.events.some((event) => event.name === 'exception')).toBe(true);
    for (const span of spans) {
      for (const key of Object.keys(span.attributes)) expect(key).toMatch(/^copyforge\./);
    }
  });

  it('always ends the span and passes results through', async () => {
    const { exporter, tracer } = setUp();
    await expect(recordSpan({ name: 'copyforge.ok', tracer }, () => 42)).resolves.toBe(42);
    await expect(
      recordSpan({ name: 'copyforge.fail', tracer }, () => {
        throw new Error('x');
      }),
    ).rejects.toThrow('x');
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['copyforge.ok', 'copyforge.fail']);
  });

  it('costs nothing without a registered provider (no-op spans)', async () => {
    const result = await recordSpan({ name: 'copyforge.noop' }, (span) => span.isRecording());
    expect(result).toBe(false);
  });
});
