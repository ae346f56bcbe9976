#!/usr/bin/env bash
# uml-guest.sh: boot one throwaway user-mode-linux guest whose kernel has IPVS, for the
# guest-kernel test tier (`npm run test:kernel`). The host kernel has no IPVS; Debian's
# user-mode-linux kernel ships it as modules.
#
# Usage (as root):
#   uml-guest.sh prepare
#       Install what is missing with apt-get (user-mode-linux, ipvsadm, kmod, iproute2,
#       procps, busybox-static) and print the UML kernel version. Idempotent; nothing is built.
#   uml-guest.sh boot --run-dir DIR [--rw DIR]... [--net IFNAME]... [--mem MB]
#                     [--lifetime SECONDS] [--hostname NAME]
#       exec the guest kernel in the foreground. The guest sees the host's / read-only under a
#       tmpfs overlay; the run dir and each --rw DIR are mounted read-write at the same path.
#       stdin/stdout are the guest console and carry the agent protocol (guest-init.sh):
#         host -> guest  "run ID" | "kill ID" | "halt"       (job ID's script: DIR/jobs/ID/cmd.sh)
#         guest -> host  "tandem-guest ready ..." | "tandem-guest done ID RC"  (a killed job: RC 137)
#       EOF on stdin powers the guest off, so a dead host process leaves no guest behind.
#       --net IFNAME wires guest ethN (in order) to a host tap device or veth end in the
#       network namespace this script runs in (use `ip netns exec NS uml-guest.sh boot ...`).
#   uml-guest.sh run [boot options except --run-dir] -- COMMAND [ARG...]
#       Boot, run COMMAND in the current directory, print its stdout and stderr, power off,
#       exit with its status. For people, e.g. `uml-guest.sh run -- ipvsadm -Ln`.
#
# Tests do not call this directly; they use test/kernel/harness/guest.ts:
#   const guest = await startGuest({ timeoutMs: 60_000 });       // one boot per test file
#   const { code, stdout, stderr } = await guest.run(['ipvsadm', '-Ln'], { timeoutMs: 5_000 });
#   await guest.run('ipvsadm -A -t 192.0.2.1:80 -s rr && ipvsadm-save -n');   // a bash script
#   await guest.node('test/kernel/programs/if-index.mjs', ['lo']);  // host node, compiled dist/
#   await guest.stop();
# and `npm run test:kernel` (root) builds dist/, runs `uml-guest.sh prepare`, then vitest.
# Guest timings on the project's machines: boot ~3-4 s, a `true` round trip ~50-100 ms,
# `node -e 1` ~0.5-1.2 s.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
CACHE=${TANDEM_GUEST_CACHE:-/var/cache/tandem-guest}
UML_BIN=/usr/bin/linux.uml
UML_MODULES=/usr/lib/uml/modules
PACKAGES=(user-mode-linux ipvsadm kmod iproute2 procps busybox-static)

die() { echo "uml-guest: $*" >&2; exit 2; }

# uml_kernel_version prints the newest module tree shipped by the user-mode-linux package.
uml_kernel_version() {
    local v
    v=$(ls "$UML_MODULES" 2>/dev/null | sort -V | tail -n 1)
    [ -n "$v" ] || die "no module tree under $UML_MODULES: is user-mode-linux installed?"
    echo "$v"
}

prepare() {
    mkdir -p "$CACHE"
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "uml-guest: apt-get install ${missing[*]} (log: $CACHE/apt.log)" >&2
        export DEBIAN_FRONTEND=noninteractive
        # DPkg::Lock::Timeout: wait for another apt run instead of failing at once.
        { apt-get -o DPkg::Lock::Timeout=600 update &&
          apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"; } \
            >"$CACHE/apt.log" 2>&1 || { tail -n 20 "$CACHE/apt.log" >&2; die "apt-get failed"; }
    fi
    [ -x "$UML_BIN" ] || die "$UML_BIN missing after installing user-mode-linux"
    uml_kernel_version
}

boot() {
    local run_dir="" mem_mb=512 lifetime_s=3600 hostname=tandem-guest rw=() nets=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --run-dir)  run_dir=$(readlink -f "$2"); shift 2 ;;
            --rw)       rw+=("$(readlink -f "$2")"); shift 2 ;;
            --net)      nets+=("$2"); shift 2 ;;
            --mem)      mem_mb=$2; shift 2 ;;
            --lifetime) lifetime_s=$2; shift 2 ;;
            --hostname) hostname=$2; shift 2 ;;
            *) die "boot: unknown option $1" ;;
        esac
    done
    [ -d "$run_dir" ] || die "boot: --run-dir must be an existing directory"
    local d
    for d in "$run_dir" ${rw[@]+"${rw[@]}"}; do
        # The kernel command line splits on spaces and hostfs options on commas.
        case "$d" in *[[:space:],]*) die "boot: path must not contain spaces or commas: $d" ;; esac
        [ -d "$d" ] || die "boot: not a directory: $d"
    done
    local kver
    kver=$(uml_kernel_version)
    # Kernel command-line words of the form a=b that the kernel does not know reach init
    # as environment variables: that is how guest-init.sh learns its parameters.
    local rw_list
    rw_list=$(IFS=:; echo "${rw[*]+${rw[*]}}")
    local cmd=("$UML_BIN" "mem=${mem_mb}M" root=/dev/root rootfstype=hostfs rootflags=/ ro
               "init=$HERE/guest-init.sh" "umid=tandem$$" "uml_dir=$run_dir"
               con0=fd:0,fd:1 con=null ssl=null quiet
               "tg_kver=$kver" "tg_modules=$UML_MODULES/$kver" "tg_run=$run_dir"
               "tg_rw=${rw_list:-none}" "tg_nets=${#nets[@]}" "tg_lifetime=$lifetime_s"
               "tg_hostname=$hostname")
    local i=0 ifn transport
    for ifn in ${nets[@]+"${nets[@]}"}; do
        [ -e "/sys/class/net/$ifn" ] || die "boot: --net $ifn: no such interface in this network namespace"
        # UML's vector driver opens a tap device as such, anything else with a raw socket.
        if [ -e "/sys/class/net/$ifn/tun_flags" ]; then transport=tap; else transport=raw; fi
        cmd+=("vec$i:transport=$transport,ifname=$ifn"); i=$((i + 1))
    done
    # UML backs guest memory with a file in TMPDIR that must allow exec mappings: /dev/shm
    # keeps it in RAM.
    exec env TMPDIR=/dev/shm "${cmd[@]}"
}

# run_once boots a guest, runs one command in it (in the current directory), prints the
# command's stdout and stderr when it ends and exits with its status (125: the guest died).
run_once() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    [ $# -gt 0 ] || die "run: no command given"
    local run_dir
    run_dir=$(mktemp -d /tmp/tandem-guest-XXXXXX)
    # Leaving closes the guest's console, which powers it off (guest-init.sh).
    trap 'rm -rf "$run_dir"' EXIT
    mkdir -p "$run_dir/jobs/1"
    { printf 'cd %q || exit 126\nexec' "$PWD"; printf ' %q' "$@"; echo; } > "$run_dir/jobs/1/cmd.sh"
    coproc GUEST { exec "$0" boot --run-dir "$run_dir" ${opts[@]+"${opts[@]}"} 2>&1; }
    local line rc=125 console=()
    while IFS= read -r line <&"${GUEST[0]}"; do
        console+=("$line")
        case "$line" in
            *"tandem-guest ready"*) echo "run 1" >&"${GUEST[1]}" ;;
            *"tandem-guest done 1 "*) rc=${line##* }; break ;;
        esac
    done
    if [ "$rc" = 125 ]; then
        printf '%s\n' "${console[@]}" >&2
        die "run: the guest died before the command finished"
    fi
    echo halt >&"${GUEST[1]}"
    wait "$GUEST_PID" || true
    cat "$run_dir/jobs/1/stdout"
    cat "$run_dir/jobs/1/stderr" >&2
    exit "$rc"
}

case "${1:-}" in
    prepare|boot|run)
        [ "$(id -u)" = 0 ] || die "must run as root (the guest mounts host paths; apt-get installs packages)" ;;
esac
case "${1:-}" in
    prepare) prepare ;;
    boot)    shift; boot "$@" ;;
    run)     shift; run_once "$@" ;;
    *)       sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
esac
