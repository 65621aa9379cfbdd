#!/bin/sh
# Writes the Skyscope hybrid ISO to a USB stick: boot/usb.sh /dev/sdX build/skyscope.iso
# (make usb DEV=/dev/sdX). It refuses anything that is not a whole removable-looking
# block device, a device with a mounted partition, or the disk holding / or /boot,
# and asks before writing.
set -eu
dev=${1:-}
iso=${2:-build/skyscope.iso}
die() { echo "usb: $*" >&2; exit 1; }
[ -n "$dev" ] || die "name the stick: make usb DEV=/dev/sdX (lsblk lists disks)"
[ -f "$iso" ] || die "$iso is missing: run make iso"
[ -b "$dev" ] || die "$dev is not a block device"
name=$(basename "$dev")
[ -d "/sys/block/$name" ] || die "$dev is a partition or not a whole disk; give the disk (e.g. /dev/sdb, not /dev/sdb1)"
if grep -q "^$dev" /proc/mounts; then
	die "$dev (or a partition on it) is mounted; unmount it first"
fi
for mnt in / /boot /boot/efi; do
	src=$(findmnt -n -o SOURCE "$mnt" 2>/dev/null || true)
	case "$src" in
	"$dev"*) die "$dev holds $mnt: refusing to overwrite the system disk" ;;
	esac
done
size=$(lsblk -dn -o SIZE "$dev" 2>/dev/null || echo "?")
model=$(lsblk -dn -o MODEL "$dev" 2>/dev/null || echo "")
echo "usb: about to ERASE $dev ($size $model) and write $iso to it."
printf "usb: type the device name (%s) to continue: " "$dev"
read -r answer
[ "$answer" = "$dev" ] || die "not confirmed; nothing written"
dd if="$iso" of="$dev" bs=4M conv=fsync status=progress
sync
echo "usb: done; the stick boots on BIOS and UEFI PCs"
