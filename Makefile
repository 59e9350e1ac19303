# Deskphone — the README's two commands are `make run` and `make test`.
SWIFT        ?= swift
SWIFT_FLAGS  ?=
DEV_MAC      ?= 00:0D:BC:50:FC:D4
DEV_MODEL    ?= 7960
PROVISION    ?= examples/tftpboot
FLASH        ?= flash
TELNET       ?= 127.0.0.1:2323
IMAGE_KEYS   ?= Packaging/image-keys

.PHONY: run test test-asan test-tsan bench build deps test-deps deb-deps deb deb-test man clean fuzz

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

deb-deps:
	@scripts/install-deps.sh deb

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

## make run: build, then boot the phone on the embedded provisioning folder and a local flash.
run: build
	$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/deskphoned \
	    --provision $(PROVISION) --flash $(FLASH) --mac $(DEV_MAC) --model $(DEV_MODEL) \
	    --telnet $(TELNET) --image-keys $(IMAGE_KEYS)

## make test: every test (unit and acceptance against real peers on loopback).
test: test-deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_FLAGS)

## make test-asan / make test-tsan: the whole suite under AddressSanitizer / ThreadSanitizer,
## built in .build-asan / .build-tsan (a clean build takes 10–20 min on 2 cores, the run
## 3–4 min; the daemons the tests start are the sanitized builds too). A sanitizer report
## fails the run (ASan aborts the process, TSan exits 66). LeakSanitizer is off: at exit the
## daemon and XCTest leave objects that tasks still hold, which it reports as leaks although
## nothing grows (memory per call and per line is measured in `make bench`). Timing bounds
## of some acceptance tests are tight for a 5–15× slower build; the README lists the ones seen.
test-asan: test-deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan $(SWIFT_FLAGS)
	ASAN_OPTIONS=detect_leaks=0 DESKPHONE_SANITIZER=address \
	    $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan $(SWIFT_FLAGS)

test-tsan: test-deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan $(SWIFT_FLAGS)
	DESKPHONE_SANITIZER=thread \
	    $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan $(SWIFT_FLAGS)

## make man: regenerate the man pages kept in Man/ from the code's declarations (run it after
## adding a command, an option or a parameter; Tests/ManPageTests fails while Man/ is stale).
MAN_PAGES = deskphoned.8 deskphone.1 deskphone.cnf.5 deskphone-ssh.8
man: build
	@mkdir -p Man
	@for page in $(MAN_PAGES); do \
	    $$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/deskphone man $$page > Man/$$page.tmp && mv Man/$$page.tmp Man/$$page \
	    && echo "Man/$$page"; \
	done

## make bench: release build, then the benchmarks (figures go in the issue notes). They measure
## what the .deb ships: the release build with the static Swift stdlib, in .build-static as
## Packaging/build-deb.sh makes it (the dynamically linked build starts about 4 ms slower).
## The phone farm's two runs: 1000 lines as 1000 one-line phones, and as 167 six-line 7960s.
BENCH_BUILD = $(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-static $(SWIFT_FLAGS)
bench: test-deps
	$(BENCH_BUILD)
	scripts/bench-boot.py $$($(BENCH_BUILD) --show-bin-path)/deskphoned $(PROVISION) 30
	scripts/bench-cli.py $$($(BENCH_BUILD) --show-bin-path) 8 200
	scripts/bench-register.py $$($(BENCH_BUILD) --show-bin-path) 6 20 60
	$$($(BENCH_BUILD) --show-bin-path)/sip-parse-bench ../shared/bench/sip-corpus 3
	scripts/bench-call.py $$($(BENCH_BUILD) --show-bin-path) 60
	scripts/bench-g729.py $$($(BENCH_BUILD) --show-bin-path) 30
	scripts/bench-footprint.py $$($(BENCH_BUILD) --show-bin-path) --runs 20 --idle 60
	nice -n 5 scripts/bench-farm.py $$($(BENCH_BUILD) --show-bin-path) 1000 --lines 1 --runs 2
	nice -n 5 scripts/bench-farm.py $$($(BENCH_BUILD) --show-bin-path) 167 --lines 6 --runs 2

## make fuzz SECONDS=N: each libFuzzer harness of Fuzz/ for N seconds (default 60), one after
## the other: SIP, SDP, RTP/RTCP, .cnf files, dial plans, telnet input, TFTP packets, the XML
## reader and ring lists, syncinfo.xml, firmware images. FUZZERS="cnf xml" runs only those.
## Built with -sanitize=fuzzer,address in .build-fuzz; the corpus grows in
## .build-fuzz/corpus/NAME from the seeds (../shared torture and bench corpus for SIP,
## Fuzz/seeds/NAME for the others), crashes are written to .build-fuzz/crashes/ (keep them under
## Fuzz/seeds/NAME as regressions: FuzzReplayTests replays that folder in make test). A harness
## whose invariant fails stops with "fuzz invariant: ..." (a crash to libFuzzer);
## SWIFT_BACKTRACE=enable=no keeps the Swift runtime's backtracer, which ASan trips over, out.
SECONDS ?= 60
FUZZERS ?= sip sdp rtp cnf dialplan telnet tftp xml syncinfo image relay
FUZZ_BUILD = $(SWIFT) build -c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
fuzz: deps
	@set -e; bin=$$($(FUZZ_BUILD) --show-bin-path); mkdir -p .build-fuzz/crashes; \
	for h in $(FUZZERS); do \
	    $(FUZZ_BUILD) --product fuzz-$$h; \
	    mkdir -p .build-fuzz/corpus/$$h; \
	    case $$h in sip) seeds="../shared/torture/rfc4475 ../shared/bench/sip-corpus";; *) seeds=Fuzz/seeds/$$h;; esac; \
	    echo "== fuzz-$$h for $(SECONDS) s"; \
	    SWIFT_BACKTRACE=enable=no $$bin/fuzz-$$h -max_total_time=$(SECONDS) -print_final_stats=1 -artifact_prefix=.build-fuzz/crashes/$$h- \
	        .build-fuzz/corpus/$$h $$seeds 2>&1 | grep -E "^(#[0-9]+[[:space:]]+DONE|stat::|==[0-9]+== ?ERROR|SUMMARY)|fuzz invariant" || true; \
	done; \
	if ls .build-fuzz/crashes/* >/dev/null 2>&1; then echo "crashes:"; ls -l .build-fuzz/crashes; exit 1; fi

## make deb: the Debian package dist/deskphone_<version>_<arch>.deb (release build with the
## static Swift stdlib in .build-static, man pages from `deskphone man`, lintian).
deb: deb-deps
	SWIFT=$(SWIFT) Packaging/build-deb.sh

## make deb-test: install, run, purge the package in a Debian 12 root (as root; the root is
## debootstrapped into .build-debroot/ on the first run and reused).
deb-test: deb
	Packaging/install-test.sh

clean:
	rm -rf .build .build-static dist $(FLASH)
