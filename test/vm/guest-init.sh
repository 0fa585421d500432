#!/bin/sh
# PID 1 of the test VM (busybox sh, runs from the initramfs built by provision.sh).
# Loads all modules up front, mounts the host's root read-only over 9p, runs the
# command run.sh wrote into the control share inside a chroot of it, records the
# exit code in the control share and powers off.
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
# Plain \n on the serial console, so the host sees the same bytes as a pipe.
stty -onlcr </dev/console 2>/dev/null
# KHA_VM_DEBUG=1 on the host adds kha.debug: boot stages with their uptime.
stage() { :; }
case " $(cat /proc/cmdline) " in *" kha.debug "*)
	stage() { echo "kha-vm: $(cut -d' ' -f1 /proc/uptime)s $*"; } ;;
esac
stage init

# The host root has no /lib/modules for this kernel, so on-demand loading can
# only fail; an empty modprobe path makes request_module() fail at once with
# ENOENT (e.g. ipvsadm -s <unknown scheduler>) instead of exec'ing anything.
echo > /proc/sys/kernel/modprobe

# Dependency order was computed on the host (modprobe --show-depends).
while read -r ko; do
	insmod "/lib/modules/$ko" || echo "kha-vm: insmod $ko failed"
	stage "$ko"
done < /modules.list

stage modules loaded
fail() {
	echo "kha-vm: $*"
	poweroff -f
}

p9="trans=virtio,version=9p2000.L,msize=262144"
R=/newroot
mkdir -p $R /ctl
# Read-only host root; cache=loose is safe since nothing in here writes it and
# it makes exec/require over 9p several times faster.
mount -t 9p -o "$p9,ro,cache=loose" hostroot $R || fail "cannot mount the host root"
mount -t 9p -o "$p9" ctl /ctl || fail "cannot mount the control share"

mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
# devtmpfs' /dev/ptmx resolves to the devpts mounted next to it (pts/).
mount -t devpts -o gid=5,mode=620,ptmxmode=0666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
# Set aside what run.sh listed before the tmpfs mounts cover it.
if [ -s /ctl/host-dirs ]; then
	while read -r d; do
		mkdir -p "/keep$d" && mount -o bind "$R$d" "/keep$d" || fail "cannot find $d on the host root"
	done < /ctl/host-dirs
fi
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
mount -t tmpfs -o mode=0755 tmpfs $R/run
# podman (the pod tests): its big temporary files go to /var/tmp; its store and its
# configuration's paths are under /run (test/vm/containers.conf, storage.conf).
mount -t tmpfs -o mode=1777 tmpfs $R/var/tmp
# ... and resolving a short image name takes a lock here (provision.sh made the directory).
[ ! -d $R/var/cache/containers ] || mount -t tmpfs -o mode=0700 tmpfs $R/var/cache/containers
# cgroup v1, one hierarchy per controller plus systemd's named one: with no systemd to delegate
# a cgroup2 tree, runc starts a pod's containers only under v1 (under v2 each one failed with
# "error reopening /dev/null: operation not permitted").
mount -t tmpfs -o mode=0755 cgroup $R/sys/fs/cgroup
while read -r name _ _ enabled; do
	case $name in \#*) continue ;; esac
	[ "$enabled" = 1 ] || continue
	mkdir -p "$R/sys/fs/cgroup/$name"
	mount -t cgroup -o "$name" cgroup "$R/sys/fs/cgroup/$name" || echo "kha-vm: cgroup $name not mounted"
done < /proc/cgroups
mkdir -p $R/sys/fs/cgroup/systemd
mount -t cgroup -o none,name=systemd cgroup $R/sys/fs/cgroup/systemd
# The caller's directory under a tmpfs path (run.sh listed it): shown from the host root.
if [ -s /ctl/host-dirs ]; then
	while read -r d; do
		mkdir -p "/keep$d" "$R$d" && mount -o bind "/keep$d" "$R$d" || fail "cannot show $d inside"
	done < /ctl/host-dirs
fi
mkdir -p $R/run/kha-vm/share
mount -t 9p -o "$p9" work $R/run/kha-vm/share || fail "cannot mount the work share"
cp /ctl/cmd.sh $R/run/kha-vm/cmd.sh

stage mounts done
hostname kha-vm
ip link set lo up

# Clean environment: cmd.sh exports exactly what run.sh decided.
env -i /bin/chroot $R /bin/bash /run/kha-vm/cmd.sh </dev/null
rc=$?
stage "command exited $rc"
echo $rc > /ctl/exit-code
sync
echo 0 > /proc/sys/kernel/printk # no "reboot: Power down" after the output
poweroff -f
