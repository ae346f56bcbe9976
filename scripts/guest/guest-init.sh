#!/bin/bash
# guest-init.sh: init (PID 1) of the user-mode-linux guest that uml-guest.sh boots, then the
# agent that runs the host's jobs. Runs only inside the guest; do not call it on the host.
#
# Parameters arrive as environment variables from the kernel command line (tg_*, see
# uml-guest.sh). Stage 1 runs on the read-only hostfs root: it puts a tmpfs overlay on top
# and re-enters itself inside it as stage 2, which mounts the read-write host directories,
# loads the IPVS modules and serves requests read from the console (stdin).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

halt_guest() { sync; /bin/busybox poweroff -f; sleep 10; }
say() { echo "tandem-guest $*"; }

if [ "${1:-}" != stage2 ]; then
    mount -t proc proc /proc
    mount -t tmpfs -o mode=0755 tmpfs /run
    insmod "$tg_modules/kernel/fs/overlayfs/overlay.ko" || { say "failed: overlay module"; halt_guest; }
    mkdir -p /run/ovl/upper /run/ovl/work /run/ovl/root
    mount -t overlay overlay -o lowerdir=/,upperdir=/run/ovl/upper,workdir=/run/ovl/work /run/ovl/root \
        || { say "failed: overlay root"; halt_guest; }
    umount /proc
    exec chroot /run/ovl/root "$0" stage2
fi

# ------------------------------------------------------------------ stage 2 --
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/netns /run/lock /tmp
# Kernel messages stay in dmesg: the console is the agent's channel.
echo 1 > /proc/sys/kernel/printk

for dir in "$tg_run" $(IFS=:; [ "$tg_rw" = none ] || echo $tg_rw); do
    mkdir -p "$dir" && mount -t hostfs -o "$dir" none "$dir" || { say "failed: mount $dir"; halt_guest; }
done

# Plain `modprobe` looks in /lib/modules/$(uname -r); the package keeps the tree elsewhere.
mkdir -p /lib/modules
ln -sfn "$tg_modules" "/lib/modules/$tg_kver"
# ip_vs and every scheduler this kernel ships (twos only exists from Linux 6.11 on).
mods=(ip_vs)
for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos; do
    [ -e "$tg_modules/kernel/net/netfilter/ipvs/ip_vs_$s.ko" ] && mods+=("ip_vs_$s")
done
modprobe -a "${mods[@]}" || { say "failed: modprobe ${mods[*]}"; halt_guest; }

ip link set lo up
# The vector network driver names interfaces vecN; tests expect ethN.
for ((i = 0; i < tg_nets; i++)); do
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "/sys/class/net/vec$i" ] && break; sleep 0.2; done
    ip link set "vec$i" name "eth$i" || say "warning: no interface vec$i"
done
echo "$tg_hostname" > /proc/sys/kernel/hostname

# Belt and braces: a guest whose host forgot it still goes away.
( sleep "$tg_lifetime"; say "lifetime of ${tg_lifetime}s expired, powering off"; halt_guest ) &

stty -echo -onlcr 2>/dev/null
# Each job runs in its own process group (job control), so "kill" takes its children too.
set -m
declare -A job_pid
jobs_dir=$tg_run/jobs
say "ready kernel=$tg_kver modules=${#mods[@]} uptime=$(</proc/uptime)"
while read -r verb id; do
    case "$verb" in
        run)
            {
                ( . "$jobs_dir/$id/cmd.sh" ) </dev/null >"$jobs_dir/$id/stdout" 2>"$jobs_dir/$id/stderr"
                say "done $id $?"
            } &
            job_pid[$id]=$!
            # Forget finished jobs (builtins only: no fork).
            for job in "${!job_pid[@]}"; do kill -0 "${job_pid[$job]}" 2>/dev/null || unset "job_pid[$job]"; done
            ;;
        kill)
            # The reporting subshell dies with the job, so the agent reports it (as 128 + 9).
            if [ -n "${job_pid[$id]:-}" ]; then
                kill -KILL -- "-${job_pid[$id]}" 2>/dev/null
                say "done $id 137"
                unset "job_pid[$id]"
            fi
            ;;
        halt) break ;;
        '') ;;
        *) say "error unknown request: $verb" ;;
    esac
done
say "halting"
halt_guest
