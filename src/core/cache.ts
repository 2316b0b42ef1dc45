import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * CopyForge's cache folder for models and the local Kafka broker: `COPYFORGE_CACHE`,
 * else `$XDG_CACHE_HOME/copyforge`, else `~/.cache/copyforge`.
 */
export function cacheDirectory(): string {
  if (process.env.COPYFORGE_CACHE) return resolve(process.env.COPYFORGE_CACHE);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'copyforge');
}
