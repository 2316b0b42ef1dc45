import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { CopyForgeError } from '../../core/errors.js';

/** sha256 of a file, streamed. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Moves `path` to `destination` when its sha256 matches; deletes it and throws otherwise. */
export async function verifyAndMove(path: string, destination: string, expectedSha256: string): Promise<string> {
  const actual = await sha256OfFile(path);
  if (actual !== expectedSha256) {
    await rm(path, { force: true });
    throw new CopyForgeError(
      'CF_MODEL_CHECKSUM_MISMATCH',
      `The downloaded model has sha256 ${actual}, expected ${expectedSha256}; it was deleted.`,
      { details: { actual, expected: expectedSha256 } },
    );
  }
  await rename(path, destination);
  return destination;
}
