# polish — the README's commands. `make demo`, `make test`, `make bench`.
BUILD      ?= build
BUILD_TEST ?= build-test
MESON      ?= meson

.PHONY: all setup build build-test demo test bench docs clean

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

docs: build
	$(BUILD)/src/cli/polish ops --markdown > docs/operations.md

clean:
	rm -rf $(BUILD) $(BUILD_TEST) demo-out
