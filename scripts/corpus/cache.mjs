// Where corpus scripts keep downloaded and generated data: $COPYFORGE_CACHE or ~/.cache/copyforge.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The cache directory (never inside the repository, never committed). */
export function cacheDirectory() {
  return process.env.COPYFORGE_CACHE ?? join(homedir(), '.cache', 'copyforge');
}
