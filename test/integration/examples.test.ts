// The examples run as users run them: plain Node against the built package (`copyforge`
// resolves to this package's dist/ by self-reference), the Kafka one against the test broker.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

async function runExample(path: string): Promise<string> {
  const { stdout } = await run(process.execPath, [path], { cwd: root, env: process.env, timeout: 300_000 });
  return stdout;
}

describe('examples', () => {
  it('custom-rm-plugin scores with a third-party reward model', async () => {
    const output = await runExample('examples/custom-rm-plugin/index.mjs');
    expect(output).toMatch(/^accepted\s+#1/m);
    expect(output).toMatch(/^rejected.*too-long/m);
  });

  it('embed-in-app generates scored titles and shows a coded error', async () => {
    const output = await runExample('examples/embed-in-app/index.mjs');
    expect(output).toMatch(/promotion target: \S/);
    expect(output.match(/^[✓✗] \[/gm)?.length).toBeGreaterThan(0);
    expect(output).toMatch(/rejected: CF_INVALID_NOTE \/body/);
  });

  it('kafka-worker turns an event into creatives and a broken event into a dead letter', async () => {
    const output = await runExample('examples/kafka-worker/index.mjs');
    expect(output).toMatch(/creatives for kafka-note-1: /);
    expect(output).toMatch(/dead letter: CF_INVALID_JSON/);
    expect(output).toMatch(/"processed":1,"deadLettered":1/);
  });
});
