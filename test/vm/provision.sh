#!/usr/bin/env bash
# Prepares what test/vm/run.sh needs: host packages, Debian's kernel (which has
# IPVS, unlike the kernels of our dev/CI machines) and an initramfs that loads
# every module the tests use. Idempotent; when nothing changed it only checks
# stamps (~0.2 s). Logs go to stderr, so run.sh's stdout stays the command's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache="$repo/.cache/kernel" # git-ignored
mkdir -p "$cache"

log() { echo "provision: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Root on CI; sudo lets a developer run it as a normal user.
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
apt_updated=0
apt_get() { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o APT::Sandbox::User=root "$@"; }
apt_update() {
	if [ "$apt_updated" = 0 ]; then
		log "apt-get update"
		apt_get update -qq >&2
		apt_updated=1
	fi
}

# Parallel test jobs may call this at once; one builds, the others wait.
exec 9>"$cache/.lock"
flock 9

# --- 1. host packages (a fresh CI machine has none of them) ---------------
# xz-utils/zstd only matter if the kernel ships compressed modules; curl and openssl are the
# tests' (test CA, fake apiserver probes, the demo).
# podman, conmon, runc and catatonit (the pause process podman kube play builds its infra image
# from) run the static pod in the pod tests; jq edits its OCI config (test/vm/runc-emulated-cpu).
pkgs=(qemu-system-x86 busybox-static cpio kmod ipvsadm iproute2 nftables xz-utils zstd curl openssl
	podman conmon runc catatonit jq)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	log "installing ${missing[*]}"
	apt_get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The VM mounts a tmpfs here for podman's short-name lock (the host root is read-only inside).
[ -d /var/cache/containers ] || "${sudo[@]}" mkdir -p -m 0700 /var/cache/containers

# --- 2. kernel package ------------------------------------------------------
# apt-cache rebuilds its cache on every call here (~1 s), so remember the
# answer for as long as the package lists are unchanged.
lists_key() { stat -c '%n %s %Y' /var/lib/apt/lists/*_Packages* 2>/dev/null | sha256sum | cut -c1-16; }
resolve() { # empty if apt has no lists yet
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '!found && $1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; found = 1 }' || true
}
pkg=""
if [ -f "$cache/resolved" ] && [ "$(head -n1 "$cache/resolved")" = "$(lists_key)" ]; then
	pkg=$(sed -n 2p "$cache/resolved")
fi
if [ -z "$pkg" ]; then
	pkg=$(resolve)
	if [ -z "$pkg" ]; then
		apt_update
		pkg=$(resolve)
	fi
	if [ -n "$pkg" ]; then
		printf '%s\n%s\n' "$(lists_key)" "$pkg" >"$cache/resolved"
	elif [ -e "$cache/current/vmlinuz" ]; then
		# Offline but already provisioned: keep using what we have.
		pkg="linux-image-$(basename "$(readlink "$cache/current")")"
		log "warning: cannot resolve linux-image-amd64, using cached $pkg"
	else
		die "cannot resolve linux-image-amd64 with apt-cache"
	fi
fi
ver=${pkg#linux-image-}
kdir="$cache/$ver"

if [ ! -e "$kdir/.extracted" ]; then
	deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		log "downloading $pkg"
		# A stale list may name a version the mirror no longer has.
		(cd "$cache" && apt_get download "$pkg" >&2) ||
			{ apt_update && (cd "$cache" && apt_get download "$pkg" >&2); }
		deb=$(ls "$cache/${pkg}"_*.deb | head -n1)
	fi
	log "unpacking $(basename "$deb")"
	rm -rf "$kdir.tmp"
	mkdir -p "$kdir.tmp"
	dpkg-deb -x "$deb" "$kdir.tmp/root"
	touch "$kdir.tmp/.extracted"
	rm -rf "$kdir"
	mv "$kdir.tmp" "$kdir"
	# Old kernels are ~400 MB unpacked; keep only the current one.
	for d in "$cache"/*/; do
		d=${d%/}
		[ "$d" = "$kdir" ] || rm -rf "$d"
	done
	for f in "$cache"/linux-image-*.deb; do
		[ "$f" = "$deb" ] || rm -f "$f"
	done
fi

# Newer packages put modules under /usr/lib (merged /usr).
if [ -d "$kdir/root/lib/modules/$ver" ]; then
	modbase="$kdir/root"
else
	modbase="$kdir/root/usr"
fi
moddir="$modbase/lib/modules/$ver"
[ -d "$moddir" ] || die "no modules in $pkg"
[ -f "$moddir/modules.dep.bin" ] || depmod -b "$modbase" "$ver"
ln -sfn "root/boot/vmlinuz-$ver" "$kdir/vmlinuz"

# Under TCG the kernel spends ~6 s decompressing itself; an uncompressed ELF
# vmlinux boots straight through its PVH entry (qemu -kernel) instead.
# bzImage header: setup_sects at 0x1f1, payload_offset/length at 0x248/0x24c.
extract_vmlinux() { # bzImage out
	local img=$1 setup off len magic
	u4() { od -An -t u4 -j "$1" -N 4 "$img" | tr -d ' '; }
	setup=$(od -An -t u1 -j $((0x1f1)) -N 1 "$img" | tr -d ' ')
	[ "$setup" != 0 ] || setup=4
	off=$(($((setup + 1)) * 512 + $(u4 $((0x248)))))
	len=$(u4 $((0x24c)))
	magic=$(od -An -t x1 -j "$off" -N 4 "$img" | tr -d ' ')
	# The payload ends with its 4-byte uncompressed size, hence len - 4.
	case $magic in
	fd377a58) tail -c +$((off + 1)) "$img" | head -c $((len - 4)) | xz -dc --single-stream ;;
	28b52ffd) tail -c +$((off + 1)) "$img" | head -c $((len - 4)) | zstd -qdc ;;
	1f8b*) tail -c +$((off + 1)) "$img" | head -c $((len - 4)) | gzip -dc ;;
	*) return 1 ;;
	esac >"$2"
	[ "$(od -An -c -N 4 "$2" | tr -d ' ')" = '177ELF' ]
}
if [ ! -e "$kdir/vmlinux.done" ]; then
	rm -f "$kdir/vmlinux"
	if grep -qx 'CONFIG_PVH=y' "$kdir/root/boot/config-$ver" 2>/dev/null &&
		extract_vmlinux "$kdir/vmlinuz" "$kdir/vmlinux.tmp" 2>/dev/null; then
		mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
	else
		rm -f "$kdir/vmlinux.tmp"
		log "no PVH vmlinux from $ver; booting the compressed kernel"
	fi
	touch "$kdir/vmlinux.done"
fi
ln -sfn "$ver" "$cache/current"

# --- 3. initramfs ------------------------------------------------------------
busybox=/bin/busybox # static, from busybox-static
stamp=$(
	{
		echo "$ver"
		stat -L -c '%s %Y' "$busybox"
		cat "${BASH_SOURCE[0]}" "$here/guest-init.sh"
	} | sha256sum | cut -c1-16
)
if [ -f "$kdir/initrd.gz" ] && [ "$(cat "$kdir/initrd.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
log "building initramfs for $ver"

# Everything is loaded at boot: the guest cannot auto-load modules (the host
# root it runs from has no /lib/modules for this kernel).
required=(
	virtio_pci 9pnet_virtio 9p # host root and work shares
	ip_vs ip_vs_rr
	dummy veth bridge sch_netem
	nf_conntrack nf_nat nf_tables nft_chain_nat nft_masq nft_nat nft_ct
	overlay # podman's container store
)
optional=(
	crc32c_generic crc32c_intel # libcrc32c (nf_tables, nf_nat) asks for crc32c at load time
	ipv6 nf_tables_inet         # modular on some kernels, built in on Debian's
	xt_ipvs nf_conntrack_netlink nft_compat nft_reject_inet nft_fib_inet
)
# Every IPVS scheduler this kernel has (rr wrr lc wlc lblc lblcr dh sh sed nq
# fo ovf mh, twos from 6.7 on); not the ftp helper or persistence engines.
scheds=()
for f in "$moddir"/kernel/net/netfilter/ipvs/ip_vs_*.ko*; do
	m=$(basename "$f")
	m=${m%%.ko*}
	case $m in ip_vs_ftp | ip_vs_pe_*) continue ;; esac
	scheds+=("$m")
done

tree=$(mktemp -d "${TMPDIR:-/tmp}/kha-initramfs.XXXXXX")
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{bin,dev,proc,sys,newroot,ctl,lib/modules}
cp "$busybox" "$tree/bin/busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -s busybox "$tree/bin/$a"
done
install -m 0755 "$here/guest-init.sh" "$tree/init"

# Checking the modules' signatures costs ~0.7 s at boot under TCG, so drop them
# (appended: PKCS#7 blob, 12-byte struct module_signature whose last 4 bytes
# are its big-endian length, then a magic string). The kernel then loads them
# as unsigned (it only taints itself; module.sig_enforce is off).
strip_sig() {
	local f=$1 magic='~Module signature appended~' size len
	[ "$(tail -c 28 "$f" | head -c 27)" = "$magic" ] || return 0
	size=$(stat -c %s "$f")
	len=$(od -An -t u1 -j $((size - 32)) -N 4 "$f" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
	truncate -s $((size - 28 - 12 - len)) "$f"
}

declare -A seen=()
order=()
skipped=()
add_module() { # name required?
	local out kind path
	# -C /dev/null: ignore the host's modprobe.d (blacklists, options).
	if ! out=$(modprobe -C /dev/null -d "$modbase" -S "$ver" --show-depends "$1" 2>/dev/null); then
		[ "$2" = yes ] && die "kernel $ver has no module $1"
		skipped+=("$1")
		return 0
	fi
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue # "builtin NAME"
		local rel=${path#"$moddir"/}
		rel=${rel%.xz}
		rel=${rel%.zst}
		rel=${rel%.gz}
		[ -z "${seen[$rel]:-}" ] || continue
		seen[$rel]=1
		mkdir -p "$tree/lib/modules/$(dirname "$rel")"
		case $path in
		*.xz) xz -dc "$path" >"$tree/lib/modules/$rel" ;;
		*.zst) zstd -qdc "$path" >"$tree/lib/modules/$rel" ;;
		*.gz) gzip -dc "$path" >"$tree/lib/modules/$rel" ;;
		*) cp "$path" "$tree/lib/modules/$rel" ;;
		esac
		strip_sig "$tree/lib/modules/$rel"
		order+=("$rel")
	done <<<"$out"
}
for m in "${optional[@]:0:2}"; do add_module "$m" no; done # crc32c first
for m in "${required[@]}"; do add_module "$m" yes; done
for m in "${scheds[@]}"; do add_module "$m" no; done
for m in "${optional[@]:2}"; do add_module "$m" no; done
printf '%s\n' "${order[@]}" >"$tree/modules.list"

(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$kdir/initrd.gz.tmp"
mv "$kdir/initrd.gz.tmp" "$kdir/initrd.gz"
echo "$stamp" >"$kdir/initrd.stamp"
log "initramfs: ${#order[@]} modules, schedulers: ${scheds[*]#ip_vs_}"
[ ${#skipped[@]} -eq 0 ] || log "not in this kernel (skipped): ${skipped[*]}"
