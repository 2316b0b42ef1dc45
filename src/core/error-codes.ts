/**
 * The registry of every error code CopyForge can raise. Codes are stable: a code is
 * never renamed or reused, only added. `docs/errors.md` documents each one and a test
 * keeps this registry, the `ErrorCode` union and the document in step.
 */
export const errorCodes = {
  CF_INVALID_NOTE: { retriable: false, summary: 'A note failed schema validation.' },
  CF_INVALID_EVENT: { retriable: false, summary: 'A note event failed schema validation.' },
  CF_INVALID_JSON: { retriable: false, summary: 'Input that should be JSON could not be parsed.' },
  CF_UNKNOWN_SCHEMA_VERSION: {
    retriable: false,
    summary: 'An event declares a schemaVersion this SDK does not understand.',
  },
  CF_PAYLOAD_TOO_LARGE: { retriable: false, summary: 'An input is larger than the configured limit.' },
  CF_INVALID_CONFIG: { retriable: false, summary: 'Options or a config file failed validation.' },
  CF_INVALID_INPUT: {
    retriable: false,
    summary: 'A CLI or evaluation input file (results, baselines, sheets) failed validation.',
  },
  CF_INVALID_OUTPUT: {
    retriable: true,
    summary: 'A model or plugin returned output that does not match its schema.',
  },
  CF_UNSUPPORTED_SPECIFICATION_VERSION: {
    retriable: false,
    summary: 'A backend, reward model or plugin declares an unknown specificationVersion.',
  },
  CF_INVALID_PLUGIN: { retriable: false, summary: 'A plugin manifest is malformed.' },
  CF_PLUGIN_INCOMPATIBLE: {
    retriable: false,
    summary: "A plugin's `copyforge` semver range does not include this SDK version.",
  },
  CF_DUPLICATE_REGISTRATION: {
    retriable: false,
    summary: 'A reward model or backend with the same name is already registered.',
  },
  CF_CAPABILITY_MISSING: {
    retriable: false,
    summary: 'A backend lacks a capability the caller needs (generate, scoreText, embed, tokenize).',
  },
  CF_DEPENDENCY_MISSING: {
    retriable: false,
    summary: 'An optional dependency (node-llama-cpp, kafkajs) is not installed.',
  },
  CF_MODEL_NOT_FOUND: { retriable: false, summary: 'No model file could be found or fetched.' },
  CF_MODEL_LOAD_FAILED: { retriable: false, summary: 'A model file exists but could not be loaded.' },
  CF_MODEL_DOWNLOAD_FAILED: { retriable: true, summary: 'Fetching a model failed.' },
  CF_MODEL_CHECKSUM_MISMATCH: {
    retriable: false,
    summary: 'A fetched model does not match its expected sha256.',
  },
  CF_BACKEND_REQUEST_FAILED: {
    retriable: true,
    summary: 'A model backend request failed (HTTP error, connection reset, engine error).',
  },
  CF_GENERATION_FAILED: { retriable: true, summary: 'Generation failed for one item after retries.' },
  CF_REWARD_MODEL_FAILED: {
    retriable: false,
    summary: 'A reward model threw, timed out or returned malformed scores.',
  },
  CF_TIMEOUT: { retriable: true, summary: 'An operation exceeded its time limit.' },
  CF_ABORTED: { retriable: false, summary: 'An operation was cancelled through its AbortSignal.' },
  CF_INPUT_READ_FAILED: { retriable: false, summary: 'An input file could not be read.' },
  CF_OUTPUT_WRITE_FAILED: {
    retriable: false,
    summary: 'An output file could not be written (missing folder, a file in the way, disk full).',
  },
  CF_KAFKA_FAILED: { retriable: true, summary: 'A Kafka operation failed.' },
  CF_TRAINING_ENVIRONMENT: {
    retriable: true,
    summary: 'The Python training environment is missing or could not be set up (Python >= 3.10, pip, git).',
  },
  CF_TRAINING_FAILED: {
    retriable: false,
    summary: 'A fine-tuning run failed (the trainer or the adapter conversion).',
  },
  CF_INTERNAL: { retriable: false, summary: 'An unexpected internal error; please report it.' },
} as const satisfies Record<string, { retriable: boolean; summary: string }>;

/** Every stable error code, e.g. `'CF_INVALID_NOTE'`. */
export type ErrorCode = keyof typeof errorCodes;
