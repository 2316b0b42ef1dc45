/**
 * Something a backend or plugin could not honour exactly. Returned on results instead
 * of being silently ignored, so callers can see degraded behaviour.
 */
export type WarningV1 =
  | {
      /** An option the implementation cannot honour; it was ignored. */
      type: 'unsupported-option';
      /** The option's name, e.g. `sampling.minP`. */
      option: string;
      /** Why, or what was done instead. */
      details?: string;
    }
  | {
      /** Any other degradation worth telling the caller about. */
      type: 'other';
      /** A readable description. */
      message: string;
    };

/** A JSON Schema object (draft 2020-12), kept loose so specs have no dependencies. */
export type JsonSchemaV1 = Record<string, unknown>;
