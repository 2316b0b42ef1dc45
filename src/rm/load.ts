import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CopyForgeError, isCopyForgeError } from '../core/errors.js';
import { resolvePlugin } from '../core/spec-host.js';
import type { PluginV1 } from '../spec/plugin-v1.js';

/** A plugin loaded from a module, with the URL it came from (workers import the same URL). */
export interface LoadedPluginModule {
  /** The validated plugin. */
  plugin: PluginV1;
  /** What `import()` was given: a `file:` URL, or the bare specifier. */
  url: string;
}

/** Whether a specifier is a path (relative, absolute, `file:`) rather than a package name. */
export function isPathSpecifier(specifier: string): boolean {
  return /^(\.{1,2}[\\/]|\/|file:|[A-Za-z]:[\\/])/u.test(specifier);
}

/**
 * Where a specifier resolves: paths against `baseDirectory`, package names from
 * `baseDirectory`'s node_modules when `require.resolve` can see them (else left bare
 * for `import()` to resolve).
 */
export function resolvePluginSpecifier(specifier: string, baseDirectory: string): string {
  if (specifier.startsWith('file:')) return specifier;
  if (isPathSpecifier(specifier)) return pathToFileURL(resolve(baseDirectory, specifier)).href;
  try {
    return pathToFileURL(createRequire(join(baseDirectory, 'index.js')).resolve(specifier)).href;
  } catch {
    // ESM-only packages hide from require.resolve; import() resolves them itself.
    return specifier;
  }
}

/**
 * Imports a plugin module (a package name or a path) and validates its plugin: the
 * default export, or a named `plugin` export, must be a PluginV1 whose `copyforge` range
 * includes `sdkVersion`.
 *
 * @example
 * const { plugin } = await loadPluginModule('@copyforge/plugin-compliance');
 */
export async function loadPluginModule(
  specifier: string,
  options: { baseDirectory?: string; sdkVersion?: string } = {},
): Promise<LoadedPluginModule> {
  const url = resolvePluginSpecifier(specifier, options.baseDirectory ?? process.cwd());
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new CopyForgeError(
      'CF_INVALID_PLUGIN',
      `Cannot import plugin module '${specifier}': ${(error as Error).message}`,
      {
        cause: error,
        details: { specifier, url },
      },
    );
  }
  let exported = namespace.default ?? namespace.plugin;
  // A CommonJS module imported from ESM nests its exports under `default`.
  if (typeof exported === 'object' && exported !== null && 'default' in exported && !('name' in exported)) {
    exported = (exported as { default: unknown }).default;
  }
  if (exported === undefined) {
    throw new CopyForgeError(
      'CF_INVALID_PLUGIN',
      `Plugin module '${specifier}' has neither a default export nor a named 'plugin' export.`,
      { details: { specifier } },
    );
  }
  try {
    return { plugin: resolvePlugin(exported, options.sdkVersion), url };
  } catch (error) {
    if (isCopyForgeError(error)) {
      throw new CopyForgeError(error.code, `${error.message} (module '${specifier}')`, {
        cause: error,
        issues: [...error.issues],
        details: { ...error.details, specifier },
      });
    }
    throw error;
  }
}
