# polish — the README's commands. `make demo`, `make test`, `make bench`, `make fuzz`.
BUILD      ?= build
BUILD_TEST ?= build-test
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
MESON      ?= meson

.PHONY: all setup build build-test demo test bench docs clean fuzz fuzz-replay

all: build

setup:
	@scripts/setup

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=release -Db_ndebug=true

$(BUILD_TEST)/build.ninja:
	$(MESON) setup $(BUILD_TEST) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-test: setup $(BUILD_TEST)/build.ninja
	ninja -C $(BUILD_TEST)

demo: build
	@scripts/demo $(BUILD)/src/cli/polish

test: build-test
	$(MESON) test -C $(BUILD_TEST) --print-errorlogs --num-processes 2 --timeout-multiplier 3

bench: build
	POLISH=$(abspath $(BUILD))/src/cli/polish bench/run.sh

# clang + libFuzzer: replays the corpora under clang, then fuzzes each target FUZZ_SECONDS
# (FUZZ_TARGETS="csv png" for some); figures in $(BUILD_FUZZ)/fuzz-work/summary.md.
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD_FUZZ=$(BUILD_FUZZ) fuzz/run.sh $(FUZZ_TARGETS)

# the committed corpora (seeds, regression inputs) under clang's ASan+UBSan only
fuzz-replay: setup
	BUILD_FUZZ=$(BUILD_FUZZ) fuzz/run.sh --replay-only $(FUZZ_TARGETS)

docs: build
	$(BUILD)/src/cli/polish ops --markdown > docs/operations.md

clean:
	rm -rf $(BUILD) $(BUILD_TEST) $(BUILD_FUZZ) demo-out
