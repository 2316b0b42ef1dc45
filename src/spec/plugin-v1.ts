import type { ModelBackendV1 } from './model-backend-v1.js';
import type { RewardModelV1 } from './reward-model-v1.js';

/**
 * A plugin is a plain object. The host checks `specificationVersion` and the
 * `copyforge` semver range at registration, and calls `init` once, lazily.
 *
 * @example
 * export default definePlugin({
 *   name: 'acme-brand-safety', version: '1.0.0', copyforge: '^0.1.0',
 *   rewardModels: [brandSafety],
 * });
 */
export interface PluginV1 {
  /** Contract version; the host rejects versions it does not know. */
  readonly specificationVersion: 'v1';
  /** Package-like name, unique among registered plugins. */
  readonly name: string;
  /** The plugin's own version (semver). */
  readonly version: string;
  /** Semver range of CopyForge versions the plugin supports, e.g. `^0.1.0`. */
  readonly copyforge: string;
  /** Reward models the plugin contributes. */
  readonly rewardModels?: readonly RewardModelV1[];
  /** Backend factories the plugin contributes, keyed by id. */
  readonly backends?: Readonly<Record<string, BackendFactoryV1>>;
  /** Optional one-time set-up, run before first use (load weights, open connections). */
  init?(): Promise<void>;
}

/** Creates a backend from user options. */
export type BackendFactoryV1 = (options: Record<string, unknown>) => ModelBackendV1 | Promise<ModelBackendV1>;
