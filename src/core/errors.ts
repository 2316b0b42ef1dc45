import { type ErrorCode, errorCodes } from './error-codes.js';

/** One broken rule found while validating input. */
export interface ValidationIssue {
  /** JSON pointer to the offending field, e.g. `/note/body`; `''` for the root. */
  path: string;
  /** The rule that was broken, e.g. `maxLength`, `required`, `type`. */
  rule: string;
  /** A readable sentence naming the field and the rule. */
  message: string;
}

/** Options for {@link CopyForgeError}. */
export interface CopyForgeErrorOptions {
  /** The underlying error, kept for debugging. */
  cause?: unknown;
  /** Whether repeating the same call may succeed. @default the code's registry value */
  retriable?: boolean;
  /** Field-level issues for validation errors. */
  issues?: ValidationIssue[];
  /** Extra machine-readable context (never secrets). */
  details?: Record<string, unknown>;
}

/**
 * The single error class of CopyForge. Branch on `code`, which is stable across
 * releases; `message` is for people and may change.
 *
 * @example
 * try { validateNote(input) } catch (error) {
 *   if (isCopyForgeError(error, 'CF_INVALID_NOTE')) console.log(error.issues);
 * }
 */
export class CopyForgeError extends Error {
  override readonly name = 'CopyForgeError';
  /** Stable code, listed in docs/errors.md. */
  readonly code: ErrorCode;
  /** Whether repeating the same call may succeed (a timeout may, a bad note will not). */
  readonly retriable: boolean;
  /** Field-level issues for validation errors; empty otherwise. */
  readonly issues: readonly ValidationIssue[];
  /** Extra machine-readable context. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: CopyForgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? errorCodes[code].retriable;
    this.issues = options.issues ?? [];
    this.details = options.details ?? {};
  }

  /** A plain JSON form, safe to log or put in a dead-letter header. */
  toJSON(): { name: string; code: ErrorCode; message: string; retriable: boolean; issues: readonly ValidationIssue[] } {
    return { name: this.name, code: this.code, message: this.message, retriable: this.retriable, issues: this.issues };
  }
}

/** True when `error` is a {@link CopyForgeError}, optionally with the given code. */
export function isCopyForgeError(error: unknown, code?: ErrorCode): error is CopyForgeError {
  return error instanceof CopyForgeError && (code === undefined || error.code === code);
}

/**
 * Wraps anything thrown into a CopyForgeError, keeping the original as `cause`.
 * CopyForgeErrors pass through unchanged; aborts become `CF_ABORTED`.
 */
export function toCopyForgeError(error: unknown, fallbackCode: ErrorCode = 'CF_INTERNAL'): CopyForgeError {
  if (error instanceof CopyForgeError) return error;
  if (isAbortError(error)) return new CopyForgeError('CF_ABORTED', 'The operation was aborted.', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new CopyForgeError(fallbackCode, message, { cause: error });
}

/** True for DOM-style AbortErrors and for `CF_ABORTED`. */
export function isAbortError(error: unknown): boolean {
  if (error instanceof CopyForgeError) return error.code === 'CF_ABORTED';
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** The `CF_ABORTED` error for a fired signal, its reason as the cause. */
export function abortedError(signal: AbortSignal): CopyForgeError {
  return new CopyForgeError('CF_ABORTED', 'The operation was aborted.', { cause: signal.reason });
}

/** Throws `CF_ABORTED` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

export { type ErrorCode, errorCodes };
