#!/usr/bin/env bash
# scripts/binfmt.sh ARCH (Debian's name, e.g. arm64): lets this machine's kernel run that
# architecture's programs through qemu-user-static (binfmt_misc, with the F flag so that they run
# in chroots and containers too). Installs qemu-user-static when missing. For image.sh (the
# arm64 base and RUN steps) and test/arm64/smoke.sh (the arm64 image under qemu-user).
set -euo pipefail
arch=${1:?usage: binfmt.sh ARCH}
case $arch in
arm64) q=aarch64 ;;
*)
	echo "binfmt: no emulator known for $arch" >&2
	exit 2
	;;
esac
[ "$(dpkg --print-architecture)" != "$arch" ] || exit 0
[ -e "/proc/sys/fs/binfmt_misc/qemu-$q" ] && exit 0
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
bash "$(dirname "$0")/apt-install.sh" qemu-user-static
[ -e /proc/sys/fs/binfmt_misc/register ] ||
	"${sudo[@]}" mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || {
	echo "binfmt: cannot mount binfmt_misc: running $arch programs needs it" >&2
	exit 1
}
"${sudo[@]}" sh -c "cat /usr/lib/binfmt.d/qemu-$q.conf >/proc/sys/fs/binfmt_misc/register" || {
	echo "binfmt: cannot register qemu-$q with binfmt_misc" >&2
	exit 1
}
echo "binfmt: registered qemu-$q-static" >&2
