import semver from 'semver';
import type { ModelBackendV1 } from '../spec/model-backend-v1.js';
import type { PluginV1 } from '../spec/plugin-v1.js';
import type { RewardModelV1 } from '../spec/reward-model-v1.js';
import { VERSION } from '../version.js';
import { CopyForgeError } from './errors.js';

/** Contract versions this host understands. */
export const supportedSpecificationVersions = ['v1'] as const;

function checkSpecificationVersion(value: unknown, what: string): void {
  if (typeof value !== 'object' || value === null) {
    throw new CopyForgeError('CF_INVALID_PLUGIN', `The ${what} must be an object, got ${typeof value}.`);
  }
  const version = (value as { specificationVersion?: unknown }).specificationVersion;
  if (!supportedSpecificationVersions.includes(version as 'v1')) {
    throw new CopyForgeError(
      'CF_UNSUPPORTED_SPECIFICATION_VERSION',
      `The ${what} declares specificationVersion ${JSON.stringify(version)}; ` +
        `this CopyForge ${VERSION} supports ${supportedSpecificationVersions.join(', ')}. ` +
        'Upgrade CopyForge or use a matching release of the implementation.',
      { details: { specificationVersion: version } },
    );
  }
}

function requireString(value: unknown, field: string, what: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CopyForgeError('CF_INVALID_PLUGIN', `The ${what}'s '${field}' must be a non-empty string.`, {
      issues: [{ path: `/${field}`, rule: 'type', message: `'/${field}' must be a non-empty string` }],
    });
  }
}

/** Checks that `value` is a backend this host can drive; throws a coded error otherwise. */
export function resolveBackend(value: unknown): ModelBackendV1 {
  checkSpecificationVersion(value, 'model backend');
  requireString((value as ModelBackendV1).id, 'id', 'model backend');
  return value as ModelBackendV1;
}

/** Checks that `value` is a reward model this host can drive; throws a coded error otherwise. */
export function resolveRewardModel(value: unknown): RewardModelV1 {
  checkSpecificationVersion(value, 'reward model');
  const rewardModel = value as RewardModelV1;
  requireString(rewardModel.name, 'name', 'reward model');
  requireString(rewardModel.version, 'version', `reward model '${rewardModel.name}'`);
  if (typeof rewardModel.scoreBatch !== 'function') {
    throw new CopyForgeError('CF_INVALID_PLUGIN', `Reward model '${rewardModel.name}' has no scoreBatch function.`);
  }
  if (rewardModel.role !== undefined && !['veto', 'rank', 'custom'].includes(rewardModel.role)) {
    throw new CopyForgeError(
      'CF_INVALID_PLUGIN',
      `Reward model '${rewardModel.name}' has role ${JSON.stringify(rewardModel.role)}; it must be 'veto', 'rank' or 'custom'.`,
      { issues: [{ path: '/role', rule: 'enum', message: "'/role' must be 'veto', 'rank' or 'custom'" }] },
    );
  }
  if (typeof rewardModel.configSchema !== 'object' || rewardModel.configSchema === null) {
    throw new CopyForgeError('CF_INVALID_PLUGIN', `Reward model '${rewardModel.name}' has no configSchema object.`);
  }
  return rewardModel;
}

/**
 * Checks a plugin manifest: its contract version, fields, and that its `copyforge`
 * range includes this SDK's version (`CF_PLUGIN_INCOMPATIBLE` otherwise).
 */
export function resolvePlugin(value: unknown, sdkVersion: string = VERSION): PluginV1 {
  checkSpecificationVersion(value, 'plugin');
  const plugin = value as PluginV1;
  requireString(plugin.name, 'name', 'plugin');
  requireString(plugin.version, 'version', `plugin '${plugin.name}'`);
  requireString(plugin.copyforge, 'copyforge', `plugin '${plugin.name}'`);
  if (semver.validRange(plugin.copyforge) === null) {
    throw new CopyForgeError(
      'CF_INVALID_PLUGIN',
      `Plugin '${plugin.name}' has an invalid 'copyforge' range ${JSON.stringify(plugin.copyforge)}.`,
    );
  }
  if (!semver.satisfies(sdkVersion, plugin.copyforge, { includePrerelease: true })) {
    throw new CopyForgeError(
      'CF_PLUGIN_INCOMPATIBLE',
      `Plugin '${plugin.name}@${plugin.version}' supports copyforge ${plugin.copyforge}, but this is ${sdkVersion}.`,
      { details: { plugin: plugin.name, range: plugin.copyforge, sdkVersion } },
    );
  }
  const rewardModels = (plugin as unknown as Record<string, unknown>).rewardModels;
  if (rewardModels !== undefined && !Array.isArray(rewardModels)) {
    throw new CopyForgeError(
      'CF_INVALID_PLUGIN',
      `Plugin '${plugin.name}': 'rewardModels' must be an array, got ${rewardModels === null ? 'null' : typeof rewardModels}.`,
      { issues: [{ path: '/rewardModels', rule: 'type', message: "'/rewardModels' must be an array" }] },
    );
  }
  // `backends` maps an id to a factory (PluginV1.backends), selectable as `--backend <plugin>#<id>`.
  const backends = (plugin as unknown as Record<string, unknown>).backends;
  if (backends !== undefined) {
    const entries =
      typeof backends === 'object' && backends !== null && !Array.isArray(backends) ? backends : undefined;
    const bad = entries && Object.entries(entries).find(([, factory]) => typeof factory !== 'function');
    if (!entries || bad) {
      const path = bad ? `/backends/${bad[0]}` : '/backends';
      const message = bad
        ? `'${path}' must be a backend factory function`
        : `'/backends' must be an object of backend factories by id, got ${Array.isArray(backends) ? 'an array' : backends === null ? 'null' : typeof backends}`;
      throw new CopyForgeError('CF_INVALID_PLUGIN', `Plugin '${plugin.name}': ${message}.`, {
        issues: [{ path, rule: 'type', message }],
      });
    }
  }
  for (const rewardModel of plugin.rewardModels ?? []) resolveRewardModel(rewardModel);
  return plugin;
}

/** Identity helper that types a plugin object for authors. @example export default definePlugin({ ... }) */
export function definePlugin<const T extends Omit<PluginV1, 'specificationVersion'>>(
  plugin: T,
): T & { specificationVersion: 'v1' } {
  return { specificationVersion: 'v1', ...plugin };
}

/** Identity helper that types a reward model for authors. */
export function defineRewardModel<Config = Record<string, unknown>>(
  rewardModel: Omit<RewardModelV1<Config>, 'specificationVersion'>,
): RewardModelV1<Config> {
  return { specificationVersion: 'v1', ...rewardModel } as RewardModelV1<Config>;
}
