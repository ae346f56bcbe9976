/** Rise/fall hysteresis: results in, verdict changes out (table-driven). */
import { describe, expect, it } from 'vitest';
import { initialHealth, nextHealth, type HealthState } from '../../../src/health/hysteresis.js';

/** verdictsAfter feeds a result string ('+' pass, '-' fail) and returns the verdict after each as 'U'/'D'. */
function verdictsAfter(initialState: 'up' | 'down', rise: number, fall: number, results: string): string {
  let state: HealthState = initialHealth(initialState);
  let verdicts = '';
  for (const result of results) {
    state = nextHealth(state, result === '+', { rise, fall });
    verdicts += state.up ? 'U' : 'D';
  }
  return verdicts;
}

describe('hysteresis', () => {
  const cases: [string, 'up' | 'down', number, number, string, string][] = [
    ['defaults: down after 3 failures in a row', 'up', 2, 3, '---', 'UUD'],
    ['a success resets the failure run', 'up', 2, 3, '--+--+--', 'UUUUUUUU'],
    ['down then up after 2 successes', 'up', 2, 3, '---++', 'UUDDU'],
    ['a failure resets the success run', 'up', 2, 3, '---+-++', 'UUDDDDU'],
    ['start-up state down needs rise successes', 'down', 2, 3, '++', 'DU'],
    ['start-up state down stays down on failures', 'down', 2, 3, '----+', 'DDDDD'],
    ['rise 1 and fall 1 follow every result', 'up', 1, 1, '-+-+', 'DUDU'],
    ['failures past fall keep it down', 'up', 2, 3, '------', 'UUDDDD'],
    ['successes past rise keep it up', 'down', 3, 3, '+++++', 'DDUUU'],
    ['fall 100 tolerates 99 failures', 'up', 2, 100, '-'.repeat(99), 'U'.repeat(99)],
  ];
  it.each(cases)('%s', (_name, initialState, rise, fall, results, expected) => {
    expect(verdictsAfter(initialState, rise, fall, results)).toBe(expected);
  });

  it('starts with no results counted', () => {
    expect(initialHealth('up')).toEqual({ up: true, successes: 0, failures: 0 });
    expect(initialHealth('down')).toEqual({ up: false, successes: 0, failures: 0 });
  });

  it('counts consecutive results', () => {
    let state = initialHealth('up');
    for (const passed of [false, false, true, true, true]) state = nextHealth(state, passed, { rise: 2, fall: 3 });
    expect(state).toEqual({ up: true, successes: 3, failures: 0 });
  });
});
