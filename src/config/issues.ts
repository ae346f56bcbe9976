/**
 * issues: the one error vocabulary of config loading. Every problem found in a file, from a YAML
 * syntax error to a cross-field rule taken from ipvsadm(8), becomes a ConfigIssue with a stable
 * code, a position an editor can jump to, and a hint that says how to fix it.
 */

/** ISSUE_CODES lists every stable issue code. Scripts and tests match on these; never rename one. */
export const ISSUE_CODES = [
  // Reading the file and the YAML layer.
  'file-unreadable',
  'yaml-syntax',
  'duplicate-key',
  'unresolved-alias',
  'yaml-unreadable',
  // Shape and ranges, found while matching the schema.
  'unknown-key',
  'missing-key',
  'wrong-type',
  'out-of-range',
  'invalid-value',
  'unknown-scheduler',
  'invalid-address',
  'invalid-prefix',
  'not-multicast',
  'invalid-interface',
  'not-absolute-path',
  'invalid-regex',
  'invalid-sha256',
  'invalid-hex',
  'invalid-status',
  'invalid-listen-address',
  // Cross-field rules.
  'node-count',
  'duplicate-node',
  'duplicate-address',
  'unknown-node',
  'election-family-mismatch',
  'missing-multicast-group',
  'multicast-group-without-multicast',
  'duplicate-vip',
  'vip-not-configured',
  'duplicate-virtual-server',
  'duplicate-name',
  'duplicate-real-server',
  'port-zero-without-persistence',
  'dr-port-mismatch',
  'family-mismatch',
  'scheduler-flag-mismatch',
  'one-packet-not-udp',
  'persistence-engine-needs-persistence',
  'netmask-family-mismatch',
  'threshold-order',
  'tunnel-option-without-tunnel',
  'tunnel-port-required',
  'health-check-port-required',
  'timeout-not-below-interval',
  'quorum-unreachable',
] as const;

/** IssueCode is one of ISSUE_CODES. */
export type IssueCode = (typeof ISSUE_CODES)[number];

/**
 * ConfigIssue is one problem in a config file. `line` and `column` are 1-based; `path` is the YAML
 * path in dotted form with [n] for list items (`virtualServers[1].realServers[0].port`), or '' for
 * the whole document.
 */
export interface ConfigIssue {
  readonly code: IssueCode;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
  readonly hint: string;
}

/** ConfigError is thrown by the throwing loader; it carries every issue found, never just the first. */
export class ConfigError extends Error {
  /** code is stable for callers that switch on error codes. */
  readonly code = 'TANDEM_CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(
      first === undefined
        ? 'invalid config'
        : `invalid config: ${formatIssue(first)}${more}. Run \`tandem check-config\` to list them all.`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** formatPath renders a path such as ['virtualServers', 1, 'port'] as `virtualServers[1].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** formatIssue renders `FILE:LINE:COL: CODE at yaml.path: what is wrong. hint`, one line. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.path === '' ? 'the document' : issue.path;
  const hint = issue.hint === '' ? '' : ` ${issue.hint}`;
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.code} at ${where}: ${issue.message}.${hint}`;
}

/** compareIssues orders issues by position, so the output reads top to bottom like the file. */
export function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.column - b.column || a.code.localeCompare(b.code);
}
