# pond: one `make` builds build/pond, the library the tests link
# (build/libpond.a) and the unit-test runner; `make test` runs everything,
# the sanitizer build included. See README.md for set-up.
#
#   make                 build/pond
#   make test            unit + end-to-end tests, plain and with ASan+UBSan
#   make test-plain      the suite once, without sanitizers
#   make SAN=1 ...       the same targets in build/san, with ASan+UBSan
#   make difftest SEED=S N=CHECKS   a long run of the differential tester
#   make fuzz            libFuzzer targets in build/fuzz (clang)
#   make bench           benchmarks (bench/run.sh)
#   DUCKDB_PREFIX=DIR    use an unpacked official DuckDB release in DIR

CC ?= cc
ifeq ($(origin CC),default)
CC := cc
endif

ifdef SAN
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The sanitizer runtimes linked in, not loaded as shared libraries: each of
# the suite's thousands of short pond processes starts about 20 ms sooner
# (measured: `pond sql 'select 1'` 265 -> 231 ms).
SANLINK := -static-libasan -static-libubsan
# -O1, as the sanitizers' documentation suggests: a third less compile time
# than -O2 for the second build of every file, and reports stay exact.
OPT ?= -O1 -g
else
BUILD := build
SANFLAGS :=
endif

ifdef DUCKDB_PREFIX
DUCKDB_INC := $(firstword $(wildcard $(DUCKDB_PREFIX)/include $(DUCKDB_PREFIX)))
DUCKDB_LIB := $(firstword $(wildcard $(DUCKDB_PREFIX)/lib $(DUCKDB_PREFIX)))
else
DUCKDB_INC := .deps/duckdb/include
DUCKDB_LIB := .deps/duckdb/lib
endif

PKGS := jansson sqlite3 libedit zlib libzstd yaml-0.1 xlsxwriter libxml-2.0 libcrypto libzip
# Headers only: these are opened with dlopen when first called
# (src/util/dynlib.h), so that the commands that never use them do not
# pay ~20 ms at start-up for them and the 26 objects they pull in.
LAZY_PKGS := libcurl libpq libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(LAZY_PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT ?= -O2 -g
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	-Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing -pthread -MMD -MP \
	-Iinclude -Isrc -isystem $(DUCKDB_INC) $(PKG_CFLAGS) $(SANFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(SANFLAGS) $(SANLINK) -pthread -L$(abspath $(DUCKDB_LIB)) -Wl,-rpath,$(abspath $(DUCKDB_LIB)) $(LDFLAGS)
LIBS := -lduckdb $(PKG_LIBS) -lsnappy -lm

LIB_SRC := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c tests/unit/*/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/*.c))
DIFFTEST_SRC := $(sort $(wildcard tests/difftest/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/web_assets.o
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
DIFFTEST_OBJ := $(DIFFTEST_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all deps test test-plain test-san unit e2e fuzz bench clean difftest
all: $(BUILD)/pond $(BUILD)/test_unit $(BUILD)/difftest

deps: $(DUCKDB_INC)/duckdb.h

$(DUCKDB_INC)/duckdb.h:
	@scripts/fetch-duckdb.sh

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# The web page (web/): bundled by esbuild from npm packages that
# scripts/setup.sh installs, gzipped and embedded as a generated C table.
# Both builds share build/web (the script writes it atomically).
WEB_SRC := $(wildcard web/src/*) web/build.mjs web/package-lock.json
build/web/assets.c: $(WEB_SRC)
	@test -x web/node_modules/.bin/esbuild || { echo "web/node_modules is missing: run scripts/setup.sh" >&2; exit 1; }
	node web/build.mjs build/web

$(BUILD)/obj/web_assets.o: build/web/assets.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libpond.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/pond: $(CLI_OBJ) $(BUILD)/libpond.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libpond.a $(LIBS)

$(BUILD)/test_unit: $(UNIT_OBJ) $(BUILD)/libpond.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(UNIT_OBJ) $(BUILD)/libpond.a $(LIBS)

# The differential tester (tests/difftest): pond against native DuckDB.
$(BUILD)/difftest: $(DIFFTEST_OBJ) $(BUILD)/libpond.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(DIFFTEST_OBJ) $(BUILD)/libpond.a $(LIBS)

# A long run: make difftest SEED=7 N=100000 [DIFFTEST_FLAGS=--all]
SEED ?= 1
N ?= 100000
difftest: $(BUILD)/difftest
	$(BUILD)/difftest --seed $(SEED) --cases $(N) $(DIFFTEST_FLAGS)

# The whole suite, plain and with sanitizers: both builds at once, then
# every part of both in parallel (tests/run.sh); one summary line per part
# and a total at the end.
test:
	@$(MAKE) --no-print-directory -j$(NPROC) build-both
	@tests/run.sh build build/san

NPROC := $(shell nproc 2>/dev/null || echo 2)
.PHONY: build-both build-plain build-san
build-both: build-plain build-san
build-plain:
	@$(MAKE) --no-print-directory all
build-san:
	@$(MAKE) --no-print-directory SAN=1 all

test-plain: all
	@tests/run.sh $(BUILD)

test-san:
	@$(MAKE) --no-print-directory SAN=1 all
	@tests/run.sh build/san

unit: all
	$(BUILD)/test_unit $(T)

FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
	-isystem $(DUCKDB_INC) $(PKG_CFLAGS)
# Parsers of outside input that fuzz targets exercise; none needs DuckDB
# at link time (the lexer only includes its header).
FUZZ_LIB_SRC := $(sort $(wildcard src/util/*.c src/avro/*.c src/iceberg/*.c src/io/*.c)) src/engine/lexer.c \
	src/pipeline/cron.c src/pipeline/tz.c
fuzz: $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

# Extra sources for one target: the server's request parsing and routing
# (the target stubs the handlers the router names).
build/fuzz/fuzz_http: FUZZ_EXTRA := src/server/request.c src/server/route.c
# The NEAR Lake rows need only jansson and the util layer.
build/fuzz/fuzz_near: FUZZ_EXTRA := src/ingest/near_rows.c
# The config parsers, the filter expression and pagination live in layers
# that reach DuckDB, the catalog and curl at link time: those targets link
# the whole library, built for fuzzing in build/fuzz/obj.
FUZZ_FULL := fuzz_source fuzz_export fuzz_pipeline fuzz_expr fuzz_paginate fuzz_html fuzz_xlsx fuzz_bigquery
FUZZ_FULL_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o) build/fuzz/obj/web_assets.o
build/fuzz/obj/web_assets.o: build/web/assets.c | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS:-fsanitize=fuzzer,%=-fsanitize=fuzzer-no-link,%) -c $< -o $@
build/fuzz/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS:-fsanitize=fuzzer,%=-fsanitize=fuzzer-no-link,%) -c $< -o $@
$(FUZZ_FULL:%=build/fuzz/%): build/fuzz/%: tests/fuzz/%.c $(FUZZ_FULL_OBJ)
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_FULL_OBJ) -L$(abspath $(DUCKDB_LIB)) -Wl,-rpath,$(abspath $(DUCKDB_LIB)) \
		$(LIBS)

$(filter-out $(FUZZ_FULL:%=build/fuzz/%),$(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)): build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRC)
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(FUZZ_EXTRA) $(PKG_LIBS) -lsnappy -lm

bench: all
	bench/run.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(DIFFTEST_OBJ:.o=.d)
