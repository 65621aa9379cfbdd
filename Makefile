# Skyscope OS — build and test entry points. The README's two commands are `make run`
# and `make test`; everything else here is for developers.

GO      ?= go
GOFLAGS ?=
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
APPEND  ?=
# The programs of the boot bundle (boot/tasks/NAME), built as static Linux binaries.
# coreutils is the multi-call program the kernel's root layout (boot/kernel/rootfs)
# shows under every command name in /bin and /usr/bin.
TASKS    = init shell hello modmgr vault compressd registry blkd skyaifsd spin memhog pingpong hostile netsup netdemo fsprobe coreutils
# Linker flags of the bundle's programs: no symbol table or DWARF (Go's tracebacks
# use pclntab, which stays), a third smaller.
TASK_LDFLAGS = -s -w
# The module repository in the bundle's file tree (/modules): the module manager's
# store. counter is a service in three versions (2.1.0 fails its self-test);
# counter-client calls it; hello asks for a capability the policy refuses.
FILES    = build/files
MODREPO  = $(FILES)/modules
# Signed container images over the repository's packages (/images, for ctr run):
# greeter runs hello in the default template; limited runs it with a CPU share, 24M,
# 4 tasks, priority ≤ 60, uid/gid maps and one IPC name (docs/CONTAINERS.md).
IMAGES   = $(FILES)/images

# The kernel is a static GOOS=linux Go program linked at 0xffffffff80001000 (written as
# a negative number, which the linker accepts) with _rt0_skyscope as its entry.
# The kernel trusts one root key: the boot bundle must be signed with it. A checkout
# makes its own development key pair in build/keys on first use (never committed); its
# public key file is built into the kernel (main.rootKey, hex).
ROOT_KEY = build/keys/root
KERNEL_LDFLAGS = -T -2147479552 -E _rt0_skyscope -X main.Version=$(VERSION) \
	-X main.rootKey=$$(od -An -v -tx1 $(ROOT_KEY).pub | tr -d ' \n')

.PHONY: all run sim test vet fmt-check unit race verify boot-test bench fuzz clean help kernel bundle modules iso usb deps

all: test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

DISK ?= build/disk.img

run: ## boot Skyscope in QEMU from the ISO to the shell on this terminal, with the persistent disk $(DISK) (APPEND=selftest etc. sets the command line)
	@mkdir -p build; [ -f "$(DISK)" ] || { echo "make run: creating the 64 MiB disk $(DISK) (the shell formats it on first use)"; truncate -s 64M "$(DISK)"; }
	$(GO) run ./tools/skyrun -iso -timeout 0 -disk "$(DISK)" -append "$(APPEND)" $(if $(DISPLAY),-window,)

sim: ## run the hosted simulation demo (no QEMU needed)
	$(GO) run ./tools/skysim

$(ROOT_KEY).pub:
	@mkdir -p build/keys
	$(GO) run ./tools/skyctl key gen -o $(ROOT_KEY)

kernel: build/loader.elf $(ROOT_KEY).pub ## build build/skyscope.elf (the kernel) and build/loader.elf
	@mkdir -p build
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -o build/skyscope.elf -ldflags "$(KERNEL_LDFLAGS)" ./boot/kernel
	@echo "built build/skyscope.elf ($$(stat -c %s build/skyscope.elf) bytes)"

# The storage vault's secret (docs/SKYAIFS.md, "Keys on the running system"): made once
# per checkout, like the root key, and put in the bundle at /keys/storage.secret, so
# files encrypted on build/disk.img stay readable across rebuilds and reboots.
STORAGE_SECRET = build/keys/storage.secret

$(STORAGE_SECRET):
	@mkdir -p build/keys
	head -c 64 /dev/urandom > $@

bundle: $(ROOT_KEY).pub $(STORAGE_SECRET) modules ## build build/system.tar, the signed boot bundle: init, the shell, the services, the demo programs and the module repository
	@mkdir -p build/tasks $(FILES)/keys
	cp $(STORAGE_SECRET) $(FILES)/keys/storage.secret
	@for t in $(TASKS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "$(TASK_LDFLAGS)" -o build/tasks/$$t ./boot/tasks/$$t || exit 1; \
	done
	$(GO) run ./tools/skyctl bundle build --key $(ROOT_KEY).key --files $(FILES) -o build/system.tar $(addprefix build/tasks/,$(TASKS))

modules: $(ROOT_KEY).pub ## build the module repository build/files/modules (signed packages and index: the module manager's store) and the signed container images build/files/images over it
	@rm -rf $(MODREPO) $(IMAGES) build/modules && mkdir -p $(MODREPO) $(IMAGES) build/modules
	@set -e; B="CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath"; \
	eval $$B -ldflags \"$(TASK_LDFLAGS) -X main.version=1\" -o build/modules/counter-1 ./boot/tasks/counter; \
	eval $$B -ldflags \"$(TASK_LDFLAGS) -X main.version=2\" -o build/modules/counter-2 ./boot/tasks/counter; \
	eval $$B -ldflags \"$(TASK_LDFLAGS) -X main.version=21 -X main.selftest=fail\" -o build/modules/counter-21 ./boot/tasks/counter; \
	eval $$B -ldflags \"$(TASK_LDFLAGS)\" -o build/modules/counter-client ./boot/tasks/counter-client; \
	eval $$B -ldflags \"$(TASK_LDFLAGS)\" -o build/modules/hello ./boot/tasks/hello
	@set -e; P="$(GO) run ./tools/skyctl pkg pack --key $(ROOT_KEY).key --level default"; \
	S="--caps service --state-handover --rollback-on-init-failure --memory 24M"; \
	$$P --name counter --version 1.0.0 $$S -o $(MODREPO)/counter-1.0.0.skypkg build/modules/counter-1; \
	$$P --name counter --version 2.0.0 $$S -o $(MODREPO)/counter-2.0.0.skypkg build/modules/counter-2; \
	$$P --name counter --version 2.1.0 $$S -o $(MODREPO)/counter-2.1.0.skypkg build/modules/counter-21; \
	$$P --name counter-client --version 1.0.0 --caps svc-counter --memory 32M -o $(MODREPO)/counter-client-1.0.0.skypkg build/modules/counter-client; \
	$$P --name hello --version 1.0.0 --caps console,system --sharable --memory 32M -o $(MODREPO)/hello-1.0.0.skypkg build/modules/hello
	$(GO) run ./tools/skyctl repo index --repo $(MODREPO) --key $(ROOT_KEY).key --serial 1 --expires 87600h
	cp $(ROOT_KEY).pub $(MODREPO)/root.pub
	@set -e; I="$(GO) run ./tools/skyctl image build --key $(ROOT_KEY).key --version 1.0.0"; \
	$$I --name greeter --mem 16M --pids 4 -o $(IMAGES)/greeter.skyimg $(MODREPO)/hello-1.0.0.skypkg; \
	$$I --name limited --cpu 20% --mem 24M --pids 4 --priority 60 --uidmap 0:100000:65536 --gidmap 0:100000:65536 \
		--ipc limited-api -o $(IMAGES)/limited.skyimg $(MODREPO)/hello-1.0.0.skypkg
	@# Two images ctr run must refuse, for the demo and the boot tests: tampered is greeter
	@# with one byte of its signature flipped; foreign is signed by a key the kernel does
	@# not trust (made here, thrown away).
	@set -e; f=$(IMAGES)/tampered.skyimg; cp $(IMAGES)/greeter.skyimg $$f; n=$$(( $$(stat -c %s $$f) - 100 )); \
	b=$$(od -An -tu1 -j $$n -N1 $$f | tr -d ' '); \
	printf "$$(printf '\\%03o' $$(( b ^ 1 )))" | dd of=$$f bs=1 seek=$$n conv=notrunc status=none; \
	cmp -s $$f $(IMAGES)/greeter.skyimg && { echo "tampering $$f changed nothing"; exit 1; }; \
	rm -f build/modules/foreign.key build/modules/foreign.pub; \
	$(GO) run ./tools/skyctl key gen -o build/modules/foreign >/dev/null; \
	$(GO) run ./tools/skyctl image build --key build/modules/foreign.key --version 1.0.0 --name foreign --mem 16M \
		-o $(IMAGES)/foreign.skyimg $(MODREPO)/hello-1.0.0.skypkg

build/loader.elf: boot/loader/loader.S boot/loader/loader.ld
	@mkdir -p build
	as --32 -o build/loader.o boot/loader/loader.S
	ld -m elf_i386 -n -z noexecstack --no-warn-rwx-segments -T boot/loader/loader.ld -o $@ build/loader.o

iso: kernel bundle ## build build/skyscope.iso, a hybrid BIOS+UEFI image for CD or USB stick
	@rm -rf build/iso && mkdir -p build/iso/boot/grub
	cp build/loader.elf build/skyscope.elf build/system.tar build/iso/boot/
	sed 's|@CMDLINE@|$(APPEND)|' boot/grub/grub.cfg.in > build/iso/boot/grub/grub.cfg
	grub-mkrescue -o build/skyscope.iso build/iso 2>build/grub-mkrescue.log || { cat build/grub-mkrescue.log; exit 1; }
	@echo "built build/skyscope.iso ($$(stat -c %s build/skyscope.iso) bytes)"

usb: iso ## write the ISO to a USB stick: make usb DEV=/dev/sdX (asks first)
	@sh boot/usb.sh "$(DEV)" build/skyscope.iso

deps: ## install the packages the QEMU boot tests need (Debian; as root)
	@sh .ci/deps.sh

test: vet fmt-check unit race verify ## everything CI checks: vet, gofmt, go test ./... (QEMU boots included), race tests, the verification targets
	@echo "make test: all checks passed"

vet: ## go vet ./...
	$(GO) vet ./...

fmt-check: ## fail if any Go file is not gofmt-clean
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit: ## go test ./... (the capability model test runs its full 10,000+ steps)
	$(GO) test $(GOFLAGS) -count=1 -timeout 30m ./...

race: ## the race detector over the host-side packages
	$(GO) test $(GOFLAGS) -race -count=1 ./capability/... ./kernel/... ./hal/... ./tools/... ./boot/tasks/... ./container/...
	$(GO) test $(GOFLAGS) -race -short -count=1 ./skyaifs/...

# The seeds' verification targets (docs/VERIFICATION.md): every spin model, exhaustively
# at its stated bounds and with each seeded bug (which must fail), and every property
# test of a target. spin and gcc are needed; without them the model tests skip, or fail
# when CI=true (.ci/run). Some of these run in `make unit` too; here they run together.
VERIFY_TESTS = \
	./internal/spincheck/=. \
	./tests/verify/=. \
	./pipeline/registry/='^(TestRegistryModel|TestRegistryModelSeededBugs|TestModelMatchesCode|TestModelDriftIsSeen|TestSetPhaseRefusesIllegalTransitions|TestLiveUpdate)$$' \
	./pipeline/modpkg/='^(TestEachSignatureIsNeeded|TestTampering)$$' \
	./pipeline/manager/='^TestEndowIsIntersection$$' \
	./pqc/vault/='^(TestCallerKeysDistinct|TestNoMessageCarriesAKey|TestKeyUsesSeesExports|TestNoRequestExportsAKey|TestSignDeriveAndAuthority)$$' \
	./pqc/='^TestDeriveKey' \
	./capability/='^TestCapabilityModel$$' \
	./kernel/='^(TestSharedImages|TestSharedWalkSeesBrokenMappings|TestFuzzSyscallSeeds|TestRevokeRemovesDerivedCapsEverywhere|TestCapTransferNeedsGrant|TestAuthorityConfinement|TestLinkModel|TestLinkModelSeededBugs|TestLinkModelMatchesCode|TestLinkModelDriftIsSeen|TestLinkSetStateRefusesIllegalTransitions|TestContainerIsolationModel|TestPIDNamespaceModel|TestContainerNamespaces|TestContainerHostile|TestContainerQuotaModel|TestContainerCPUBudgetModel|TestContainerCPUIsolation)$$' \
	./container/runtime/='^TestLinkFromDescriptors$$' \
	./container/descriptor/='^TestSubsetOf' \
	./skyaifs/lock/='^(TestLockModel|TestLockModelSeededBugs|TestLockModelDrift|TestLockManagerProperties|TestLockManagerFIFO)$$' \
	./skyaifs/twophase/='^(TestTwoPhaseModel|TestTwoPhaseModelSeededBugs|TestTwoPhaseModelDrift|TestTwoPhaseCrashes)$$'

verify: ## the seeds' verification targets: spin models (with seeded bugs) and property tests (docs/VERIFICATION.md)
	@for t in $(VERIFY_TESTS); do \
		pkg=$${t%%=*}; run=$${t#*=}; \
		echo "verify: $$pkg -run $$run"; \
		listed=$$($(GO) test $(GOFLAGS) -list "$$run" $$pkg) || exit 1; \
		for n in $$(echo "$$run" | tr -d '^$$()' | tr '|' ' '); do \
			[ "$$n" = . ] || echo "$$listed" | grep -q "^$$n" || { echo "verify: $$pkg has no test $$n"; exit 1; }; \
		done; \
		$(GO) test $(GOFLAGS) -count=1 -timeout 20m -run "$$run" $$pkg || exit 1; \
	done
	@echo "make verify: every model and property holds, every seeded bug is caught"

boot-test: ## only the QEMU boot tests (-kernel, ISO+BIOS, ISO+UEFI, panic)
	$(GO) test -count=1 -v ./tests/qemu/

bench: ## IPC round trips: simulated (ns, allocs) and ring 3 in QEMU (TSC ticks = instructions under -icount)
	$(GO) test -run='^$$' -bench=BenchmarkIPCRoundTrip -benchmem -count=5 ./kernel/
	$(GO) run ./tools/skyrun -icount -append pingpong | grep '^pingpong:'

fuzz: ## fuzz the system call decoder for a minute
	$(GO) test -run='^$$' -fuzz=FuzzSyscall -fuzztime=60s ./kernel/

clean: ## remove build outputs
	rm -rf build
