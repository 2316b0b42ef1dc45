import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../core/package-root.js';
import type { AdapterCard } from '../../training/train-sft.js';

/** File name of the title adapter shipped in the package (`data/adapters/`). */
export const DEFAULT_ADAPTER_FILE_NAME = 'copyforge-titles-v1.gguf';

/** The shipped adapter: where it is and its training card. */
export interface DefaultAdapter {
  path: string;
  card: AdapterCard;
}

/** Path of the shipped title adapter (it may be missing from a source checkout mid-training). */
export function defaultAdapterPath(): string {
  return join(packageRoot(), 'data', 'adapters', DEFAULT_ADAPTER_FILE_NAME);
}

/**
 * The LoRA title adapter CopyForge ships, trained on its own corpus (`data/sft`) on top of the
 * default model; `undefined` when the package carries none. The llama.cpp backend layers it
 * automatically when the model it loads is that base model (same sha256).
 */
export async function loadDefaultAdapter(): Promise<DefaultAdapter | undefined> {
  const path = defaultAdapterPath();
  const cardPath = path.replace(/\.gguf$/u, '.card.json');
  if (!existsSync(path) || !existsSync(cardPath)) return undefined;
  const card = JSON.parse(await readFile(cardPath, 'utf8')) as AdapterCard;
  return { path, card };
}
