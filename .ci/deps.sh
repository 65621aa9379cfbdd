#!/bin/sh
# Installs what the tests need on Debian: QEMU, GRUB for BIOS and UEFI, xorriso and
# mtools for grub-mkrescue, OVMF, and binutils for the loader (the QEMU boot tests);
# spin and gcc for the Promela models of `make verify` (docs/VERIFICATION.md).
# Used by `make deps` and by .ci/run. Needs root (or sudo).
set -eu
pkgs="qemu-system-x86 grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools ovmf binutils make spin gcc"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all test packages are installed"
	exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
