/**
 * netns: throwaway network namespaces for root-only tests.
 *
 * A TestNamespace is created with `ip netns add` (so `ip -n NAME` works on it) and removed by
 * destroy(). run() executes synchronous code with the test's JS thread inside the namespace:
 * sockets opened there (NativeNetlinkTransport.open, PacketSocket, NetlinkSubscription) stay
 * in it for their whole life, so one test process can hold sockets in several namespaces.
 */
import { execFileSync } from 'node:child_process';
import { loadNative } from '../../../src/kernel/native.js';

let created = 0;

/** TestNamespace is one network namespace owned by a test. */
export class TestNamespace {
  /** name is unique per process and per call: tandem-<label>-<pid>-<n>. */
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** create adds a namespace and brings its loopback up. */
  static create(label: string): TestNamespace {
    created++;
    const namespace = new TestNamespace(`tandem-${label}-${process.pid}-${created}`);
    execFileSync('ip', ['netns', 'add', namespace.name]);
    namespace.ip('link', 'set', 'lo', 'up');
    return namespace;
  }

  /** path is the bind mount `ip netns add` made, for setns(2). */
  get path(): string {
    return `/run/netns/${this.name}`;
  }

  /** ip runs `ip -n NAME ...args` and returns its stdout; it throws on a non-zero exit. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { encoding: 'utf8' });
  }

  /** run calls `fn` with the JS thread inside this namespace. */
  run<T>(fn: () => T): T {
    return loadNative().withNetworkNamespace(this.path, fn);
  }

  /** destroy deletes the namespace, and with it every interface inside. */
  destroy(): void {
    execFileSync('ip', ['netns', 'del', this.name]);
  }
}

/**
 * vethPair creates a veth pair with one end in each namespace (`a` in `left`, `b` in
 * `right`), both up, and returns nothing: look indexes up inside the namespaces.
 */
export function vethPair(left: TestNamespace, a: string, right: TestNamespace, b: string): void {
  left.ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', right.name);
  left.ip('link', 'set', a, 'up');
  right.ip('link', 'set', b, 'up');
}

/**
 * withVethPair creates namespaces `<label>` and `<label>peer` joined by veth `a`–`b` (vethPair),
 * and returns what `setUp` builds in them. `setUp` gets `destroy`, which removes both namespaces,
 * to put in what it returns; if the veth or `setUp` throws, both namespaces are removed at once.
 */
export function withVethPair<T>(
  label: string,
  a: string,
  b: string,
  setUp: (left: TestNamespace, right: TestNamespace, destroy: () => void) => T,
): T {
  const left = TestNamespace.create(label);
  const right = TestNamespace.create(`${label}peer`);
  const destroy = (): void => {
    left.destroy();
    right.destroy();
  };
  try {
    vethPair(left, a, right, b);
    return setUp(left, right, destroy);
  } catch (error) {
    destroy();
    throw error;
  }
}
