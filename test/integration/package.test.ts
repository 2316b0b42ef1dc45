// The packed tarball is what users get: install it into an empty project and use it
// the way they would (require, import, the bin), and run publint and
// @arethetypeswrong/cli on it. Needs `npm run build` first (npm test does it).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('packed package', () => {
  let workspace: string;
  let tarball: string;

  beforeAll(() => {
    if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
    workspace = mkdtempSync(join(tmpdir(), 'copyforge-pack-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', workspace], root)) as [
      { filename: string },
    ];
    tarball = join(workspace, packed[0].filename);
    const project = join(workspace, 'consumer');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], project);
  });

  afterAll(() => {
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('can be required (CJS) and imported (ESM), with subpaths', () => {
    const project = join(workspace, 'consumer');
    const cjs = run(
      'node',
      [
        '-e',
        `const cf = require('copyforge');
         const schema = require('copyforge/schemas/note.schema.json');
         const testing = require('copyforge/test');
         let code; try { cf.validateNote({}); } catch (e) { code = e.code; }
         console.log(JSON.stringify({ version: cf.VERSION, code, schema: schema.title, mock: typeof testing.createMockBackend, kafka: Object.keys(require('copyforge/kafka')) }));`,
      ],
      project,
    );
    expect(JSON.parse(cjs)).toMatchObject({ code: 'CF_INVALID_NOTE', schema: 'Note', mock: 'function' });
    const esm = run(
      'node',
      [
        '--input-type=module',
        '-e',
        `import { validateNote, VERSION } from 'copyforge';
         import pkg from 'copyforge/package.json' with { type: 'json' };
         let code; try { validateNote({ id: 'x', title: '', body: '' }); } catch (e) { code = e.code; }
         console.log(JSON.stringify({ code, same: VERSION === pkg.version }));`,
      ],
      project,
    );
    expect(JSON.parse(esm)).toEqual({ code: 'CF_INVALID_NOTE', same: true });
  });

  it('does not load node-llama-cpp or kafkajs when the core is imported', () => {
    const project = join(workspace, 'consumer');
    const output = run(
      'node',
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         await import('copyforge');
         const require = createRequire(import.meta.url);
         require('copyforge');
         const loaded = Object.keys(require.cache).filter((path) => /node-llama-cpp|kafkajs/.test(path));
         console.log(JSON.stringify(loaded));`,
      ],
      project,
    );
    expect(JSON.parse(output)).toEqual([]);
    // kafkajs is an optional peer: the consumer project does not have it.
    expect(readdirSync(join(project, 'node_modules'))).not.toContain('kafkajs');
  });

  it('installs a working `copyforge` bin', () => {
    const help = run('npx', ['--no-install', 'copyforge', '--help'], join(workspace, 'consumer'));
    expect(help).toMatch(/Commands:/);
    expect(help).toMatch(/demo/);
    expect(help).toMatch(/validate/);
  });

  it('passes publint and @arethetypeswrong/cli', () => {
    const publint = run(join(root, 'node_modules/.bin/publint'), ['run', tarball, '--strict'], root);
    expect(publint).not.toMatch(/error/i);
    // Exits non-zero on any problem. Profile node16: engines require Node >= 20, so the
    // node10 resolver (no `exports` support) is out of scope.
    run(join(root, 'node_modules/.bin/attw'), [tarball, '--profile', 'node16', '--format', 'ascii'], root);
  });
});
