import type { ParseArgsConfig } from 'node:util';

/** Parsed option values of a command. */
export type CommandValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One `copyforge` sub-command. */
export interface CliCommand {
  /** The word after `copyforge`. */
  name: string;
  /** One line for `copyforge --help`. */
  summary: string;
  /** Full usage text for `copyforge <name> --help`. */
  usage: string;
  /** Options in `node:util` parseArgs form. */
  options: NonNullable<ParseArgsConfig['options']>;
  /** Whether free arguments are accepted. @default false */
  allowPositionals?: boolean;
  /** Runs the command; resolves to the exit code. */
  run(values: CommandValues, positionals: string[]): Promise<number>;
}
