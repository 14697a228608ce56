# flashkiosk: the front door. Every target installs what it needs.
SHELL := /bin/bash
GO ?= go
# Commands the targets need, and the Debian package each comes from.
NEEDED := fsck.fat:dosfstools mkfs.fat:dosfstools mdir:mtools mcopy:mtools mtype:mtools sfdisk:fdisk mkfs.ext4:e2fsprogs losetup:mount qemu-system-aarch64:qemu-system-arm qemu-io:qemu-utils cpio:cpio xz:xz-utils fdtput:device-tree-compiler mkfs.exfat:exfatprogs mount.exfat-fuse:exfat-fuse

.PHONY: soak all build test bench bench-large fuzz deps clean image demo demo-interactive

all: build

# deps installs missing Debian packages and downloads the Go modules.
deps:
	@missing=""; for pair in $(NEEDED); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || [ -x /sbin/$$cmd ] || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$(echo $$missing | tr ' ' '\n' | sort -u) >/dev/null || \
	    { echo "could not install:$$missing" >&2; exit 1; }; \
	fi
	@$(GO) mod download

build: deps
	@mkdir -p out
	$(GO) build -o out/kioskctl ./tools/cmd/kioskctl

# demo boots the real kiosk in qemu (arm64, the vm board), plugs three
# virtual sticks, presses GO on the simulated panel, checks every stick on
# this PC and prints a summary. demo-interactive leaves the kiosk running
# with its panel on the keyboard (keys 1-4 plug and pull sticks).
demo: deps
	$(GO) run ./tools/cmd/kioskctl demo

demo-interactive: deps
	$(GO) run ./tools/cmd/kioskctl demo --interactive

# test runs every test, fuzz targets on their saved corpus included.
test: deps
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted" >&2; exit 1; fi
	PATH="$$PATH:/usr/sbin:/sbin" $(GO) vet ./...
	PATH="$$PATH:/usr/sbin:/sbin" $(GO) test -count=1 -timeout 25m ./...

# bench prints speed and memory figures against references measured in the
# same run: Go benchmarks, then kioskctl write on a 2 GiB loop device against
# dd and a naive tool chain, and with libraries of 600 and 100,000 small
# files against reading them and dd (needs root). bench-large does the
# last with 1,000,000 files (about half an hour).
bench: build
	PATH="$$PATH:/usr/sbin:/sbin" $(GO) test -run '^$$' -bench . -benchmem ./...
	PATH="$$PATH:/usr/sbin:/sbin" $(GO) run ./tools/cmd/drivebench -kioskctl out/kioskctl

bench-large: build
	PATH="$$PATH:/usr/sbin:/sbin" $(GO) run ./tools/cmd/drivebench -kioskctl out/kioskctl -films=false -files 1000000

# soak runs the kiosk in qemu through 200 sticks in a row, some pulled
# mid-job, and reports its memory, descriptors and goroutines and the
# journal after it wraps (about ten minutes; not part of test).
soak: deps
	PATH="$$PATH:/usr/sbin:/sbin" $(GO) test -count=1 -tags soak -run '^TestSoak$$' -timeout 60m -v ./tools/e2e

# fuzz runs each fuzz target open-ended for FUZZTIME (default 1m).
FUZZTIME ?= 1m
fuzz: deps
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; dir=$$($(GO) list -f '{{.Dir}}' $$pkg)/testdata/fuzz/$$f; \
	    before=$$(ls $$dir 2>/dev/null | wc -l); \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 3s $$pkg >/tmp/fuzz.$$$$.log 2>&1; rc=$$?; \
	    cat /tmp/fuzz.$$$$.log; \
	    if [ $$rc != 0 ]; then \
	      if [ "$$(ls $$dir 2>/dev/null | wc -l)" = "$$before" ] && grep -q 'context deadline exceeded' /tmp/fuzz.$$$$.log; then \
	        echo "== $$f: no failing input written; Go's fuzz coordinator reported its own deadline (go.dev/issue/75804): not a failure"; \
	      else rm -f /tmp/fuzz.$$$$.log; exit 1; fi; \
	    fi; rm -f /tmp/fuzz.$$$$.log; \
	  done; done

# image writes the Raspberry Pi SD-card image out/flashkiosk-rpi.img (sparse)
# and out/flashkiosk-rpi.img.xz, without root. LIBRARY=dir KEY=file put a
# partner's signed library and its key on it; without them it carries a
# demo library signed with a demo key kept in out/demo.
LIBRARY ?=
KEY ?=
image: deps
	@mkdir -p out
	@start=$$(date +%s); \
	$(GO) run ./images/cmd/mkimage -o out/flashkiosk-rpi.img $(if $(LIBRARY),-library "$(LIBRARY)") $(if $(KEY),-key "$(KEY)") \
	  -version "$$(git describe --always --dirty 2>/dev/null || echo unknown)" && \
	xz -T0 -6 -f -k out/flashkiosk-rpi.img && \
	echo "image: $$(du -h --apparent-size out/flashkiosk-rpi.img | cut -f1) ($$(du -h out/flashkiosk-rpi.img | cut -f1) on disk), xz: $$(du -h out/flashkiosk-rpi.img.xz | cut -f1), in $$(( $$(date +%s) - start )) s"

clean:
	rm -rf out
