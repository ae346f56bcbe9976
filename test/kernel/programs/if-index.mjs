// if-index.mjs NAME...: prints {"NAME": index, ...} using the compiled tandem addon binding
// (dist/, native/build). A guest-kernel test runs it inside the guest to prove that compiled
// tandem modules and the addon load there.
import { loadNative } from '../../../dist/kernel/native.js';

const native = loadNative();
const indexes = Object.fromEntries(process.argv.slice(2).map((name) => [name, native.ifNameToIndex(name)]));
process.stdout.write(`${JSON.stringify(indexes)}\n`);
