/**
 * main: the `tandem` command line. Each subcommand lives in its own module under src/cli/;
 * this file only wires them into one program and maps outcomes to exit codes.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerCheckConfig } from './check-config.js';
import { registerRun } from './run.js';

/** packageVersion reads the version from package.json, two levels above src/cli or dist/cli. */
function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const parsed = JSON.parse(text) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}

/** buildProgram assembles the CLI; tests go through runCli, which needs no process either. */
function buildProgram(): Command {
  const program = new Command('tandem')
    .description('High availability for a pair of Linux Virtual Server (IPVS) directors')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError()
    .exitOverride();
  registerCheckConfig(program);
  registerRun(program);
  return program;
}

/** runCli parses argv and returns the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    // commander signals --help, --version and usage errors by throwing with an exit code.
    if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') {
      return error.exitCode;
    }
    throw error;
  }
}
