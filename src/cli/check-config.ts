/**
 * check-config: `tandem check-config FILE [--node NAME] [--json]`. Validates a config file and
 * prints every problem as `FILE:LINE:COL: CODE at yaml.path: what is wrong. hint`, one per line,
 * the form editors and CI annotators already understand. Exit status 0 means the file is valid.
 */
import { hostname } from 'node:os';
import { CommanderError, type Command } from 'commander';
import { formatIssue } from '../config/issues.js';
import { loadConfigFile, type LoadResult } from '../config/load.js';

/** CheckConfigIo is where check-config writes, and how it learns the host name; tests replace it. */
export interface CheckConfigIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly hostname: () => string;
}

/** CheckConfigOptions are the command's flags. */
export interface CheckConfigOptions {
  readonly node?: string | undefined;
  readonly json?: boolean | undefined;
}

/** EXIT_INVALID is the exit status for a config with problems (usage errors are commander's). */
export const EXIT_INVALID = 1;

/** processIo writes to the real process streams. */
const processIo: CheckConfigIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  hostname,
};

/** summary describes a valid config in one line, naming the node it was checked as. */
function summary(file: string, result: Extract<LoadResult, { ok: true }>, host: string): string {
  const services = result.config.virtualServers;
  const realServers = services.reduce((sum, vs) => sum + vs.realServers.length, 0);
  const counts = `${services.length} virtual server(s), ${realServers} real server(s)`;
  return result.node === null
    ? `${file}: OK (host '${host}' matches no node and no --node was given, so the whole file was checked: ${counts})`
    : `${file}: OK (node ${result.node.self.name}: ${counts})`;
}

/** runCheckConfig validates one file and reports; it returns the exit status. */
export async function runCheckConfig(file: string, options: CheckConfigOptions, io: CheckConfigIo = processIo): Promise<number> {
  const host = io.hostname();
  const result = await loadConfigFile(file, { node: options.node, hostname: host });
  if (options.json === true) {
    const body = result.ok
      ? { file, ok: true, node: result.node?.self.name ?? null, issues: [] }
      : { file, ok: false, node: null, issues: result.issues };
    io.stdout(`${JSON.stringify(body, null, 2)}\n`);
  } else if (result.ok) {
    io.stdout(`${summary(file, result, host)}\n`);
  } else {
    for (const issue of result.issues) io.stdout(`${formatIssue(issue)}\n`);
    io.stderr(`${file}: ${result.issues.length} problem(s)\n`);
  }
  return result.ok ? 0 : EXIT_INVALID;
}

/** registerCheckConfig adds the check-config subcommand to the program. */
export function registerCheckConfig(program: Command, io: CheckConfigIo = processIo): void {
  program
    .command('check-config')
    .description('validate a config file and list every problem in it')
    .argument('<file>', 'the YAML config file')
    .option('--node <name>', 'check it as this node (default: the node whose hostname or name is this host)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: CheckConfigOptions) => {
      const status = await runCheckConfig(file, options, io);
      // Thrown rather than set on process.exitCode, so runCli stays free of global state.
      if (status !== 0) throw new CommanderError(status, 'tandem.configInvalid', `${file}: invalid config`);
    });
}
