import { describe, expect, it } from 'vitest';
import { componentLogger, createLogger, journaldLine } from '../../../src/daemon/logger.js';

describe('logger', () => {
  it('prefixes each line with the syslog priority of its pino level', () => {
    expect(journaldLine('{"level":40,"msg":"x"}\n')).toBe('<4>{"level":40,"msg":"x"}\n');
    expect(journaldLine('{"level":50}')).toMatch(/^<3>/);
    expect(journaldLine('{"level":30}')).toMatch(/^<6>/);
    expect(journaldLine('not json')).toMatch(/^<6>/);
  });

  it('writes JSON with the component binding and the event vocabulary', () => {
    const lines: string[] = [];
    const root = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } });
    componentLogger(root, 'election').warn({ event: 'election.transition', from: 'backup', to: 'master' }, 'became master');
    root.debug('dropped below level');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 40, component: 'election', event: 'election.transition', msg: 'became master', service: 'tandem' });
  });
});
