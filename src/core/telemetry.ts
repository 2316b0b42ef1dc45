import { type Attributes, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { VERSION } from '../version.js';
import { isCopyForgeError } from './errors.js';

/**
 * The tracer CopyForge uses when the caller gives none. It is the global
 * `@opentelemetry/api` tracer, a no-op until the embedder registers a provider,
 * so telemetry costs nothing when it is off.
 */
export function getDefaultTracer(): Tracer {
  return trace.getTracer('copyforge', VERSION);
}

/** Options for {@link recordSpan}. */
export interface RecordSpanOptions {
  /** Span name, e.g. `copyforge.generate.note`. */
  name: string;
  /** Attributes; keys should start with `copyforge.`. */
  attributes?: Attributes;
  /** Tracer to use. @default getDefaultTracer() */
  tracer?: Tracer;
}

/**
 * Runs `fn` inside an active span. Records exceptions (with the CopyForge error
 * code as `copyforge.error.code`), sets the status, and always ends the span.
 */
export async function recordSpan<T>(options: RecordSpanOptions, fn: (span: Span) => Promise<T> | T): Promise<T> {
  const tracer = options.tracer ?? getDefaultTracer();
  return tracer.startActiveSpan(options.name, { attributes: options.attributes ?? {} }, async (span) => {
    try {
      const result = await fn(span);
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (error) {
      if (error instanceof Error) span.recordException(error);
      if (isCopyForgeError(error)) span.setAttribute('copyforge.error.code', error.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
