// minor-faults.mjs: the page faults this process has taken so far that needed no disk read
// (field 10, minflt, of /proc/self/stat; proc(5)). In the guest each costs a trap to the host,
// so the first-call scripts count them per phase.
import { readFileSync } from 'node:fs';

/** minorFaults reads minflt; the fields are counted after the ") " that closes comm, which may hold spaces. */
export const minorFaults = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
