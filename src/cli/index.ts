import { parseArgs } from 'node:util';
import { isCopyForgeError } from '../core/errors.js';
import { VERSION } from '../version.js';
import type { CliCommand } from './command.js';
import { cleanCommand } from './commands/clean.js';
import { datasetCommand } from './commands/dataset.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { generateCommand } from './commands/generate.js';
import { kafkaCommand } from './commands/kafka.js';
import { labelCommand } from './commands/label.js';
import { modelCommand } from './commands/model.js';
import { rmCommand } from './commands/rm.js';
import { scoreCommand } from './commands/score.js';
import { trainCommand } from './commands/train.js';
import { validateCommand } from './commands/validate.js';

const commands: readonly CliCommand[] = [
  demoCommand,
  generateCommand,
  modelCommand,
  kafkaCommand,
  cleanCommand,
  labelCommand,
  datasetCommand,
  trainCommand,
  scoreCommand,
  evalCommand,
  rmCommand,
  validateCommand,
];

function helpText(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `copyforge ${VERSION} — turn social-media notes into scored ad creatives`,
    '',
    'Usage: copyforge <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Common options:',
    '  --in <path>    input JSONL (.gz accepted); - for stdin',
    '  --out <path>   output JSONL; - for stdout',
    '  --quiet        no progress output',
    '  -h, --help     help for a command',
    '  -v, --version  print the version',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    console.log(helpText());
    return 0;
  }
  if (name === '-v' || name === '--version') {
    console.log(VERSION);
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    console.error(`Unknown command '${name}'.\n\n${helpText()}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(parsed.values, parsed.positionals);
  } catch (error) {
    if (isCopyForgeError(error)) {
      console.error(`copyforge: ${error.code}: ${error.message}`);
      for (const issue of error.issues) console.error(`  ${issue.path || '/'}: ${issue.message} (${issue.rule})`);
      return 1;
    }
    throw error;
  }
}
