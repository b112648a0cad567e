# senti - build, test, install.  `make help` lists the targets.
#
#   make                  build/senti, build/libsenti.a, build/libsenti.so
#   make run TEXT="..."   install dependencies, build, and score TEXT with the embedded model
#   make test             install dependencies, build, and run every test suite
#   make model            retrain the default model from ../shared/data (bit for bit)
#   make SANITIZE=address,undefined ...   the same in build-san/ with sanitizers
#   make mpi              build/senti-mpi: senti batch across MPI ranks (installs Open MPI)
#   make install PREFIX=/usr/local

CC       ?= cc
PREFIX   ?= /usr/local
DATA     ?= ../shared/data
SANITIZE ?=
OPT      ?= -O2

ifeq ($(SANITIZE),)
B := build
SANFLAGS :=
else
B := build-san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := -O1 -g
endif

DEPS_PKGS := libutf8proc jansson libxxhash
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
BASEFLAGS := -std=c17 -D_GNU_SOURCE -pthread -Iinclude -Isrc $(WARN) $(SANFLAGS)
LIBFLAGS := $(BASEFLAGS) -fPIC -fvisibility=hidden -DSENTI_BUILD
LDLIBS   := -lutf8proc -ljansson -lxxhash -lm -pthread
# the HTTP service is a program of its own (senti serve runs it), so that the other commands
# do not load libmicrohttpd's TLS stack at every start
LDLIBS_SERVE := -lmicrohttpd -lhiredis

DEFAULT_MODEL := models/default.safetensors
VERSION := $(shell sed -n 's/^\#define SENTI_VERSION_STRING "\(.*\)"/\1/p' include/senti.h)
SONAME_VERSION := $(word 1,$(subst ., ,$(VERSION)))$(if $(filter 0,$(word 1,$(subst ., ,$(VERSION)))),.$(word 2,$(subst ., ,$(VERSION))))

# The library (libsenti: the API of include/senti.h) is everything under src/ but the programs
# (src/cli, src/serve), what only they use (src/tools, each model kind's trainer
# src/models/KIND/train*.c, the safetensors writer), which make the tools library
# (libsenti-tools.a, linked into the programs and tests only). The per-ISA kernel files turn on
# their instruction sets in the source (#pragma target regions), so the build stays portable.
TOOLS_SRC := $(sort $(wildcard src/tools/*.c src/models/*/train*.c src/io/safetensors_write.c))
LIB_SRC  := $(filter-out $(TOOLS_SRC),$(sort $(shell find src -name '*.c' -not -path 'src/cli/*' -not -path 'src/serve/*' -not -path 'src/mpi/*')))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
SERVE_SRC := $(sort $(wildcard src/serve/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o) $(B)/obj/src/default_model.o
TOOLS_OBJ := $(TOOLS_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
SERVE_OBJ := $(SERVE_SRC:%.c=$(B)/obj/%.o) $(B)/obj/src/serve/web_assets.o
TEST_OBJ := $(TEST_SRC:%.c=$(B)/obj/%.o)
# the programs link the tools library first, then the library and its dependencies
PROG_LIBS := $(B)/libsenti-tools.a $(B)/libsenti.a
LDLIBS_TOOLS := -lcsv

.PHONY: all run test check test-unit deps deps-test model install uninstall clean help \
        bench-latency bench-fasttext fuzz include-check

all: $(B)/senti $(B)/senti-serve $(B)/libsenti.a $(B)/libsenti.so ## build the programs and libraries

# `make help`: every target with its line (the `##` comments below)
help:
	@awk '/^#/ { sub(/^# ?/, ""); print; next } { exit }' Makefile
	@echo "targets:"
	@grep -hE '^[a-z][a-zA-Z0-9_-]*:.*## ' Makefile | sed -E 's/^([^:]+):.*## (.*)/  \1\t\2/' | expand -t 22

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

$(B)/obj/src/default_model.o: src/default_model.S $(DEFAULT_MODEL)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@ -DSENTI_DEFAULT_MODEL_PATH='"$(DEFAULT_MODEL)"'

# the web page's files (src/serve/web/), embedded in senti-serve by .incbin (web_assets.S)
$(B)/obj/src/serve/web_assets.o: src/serve/web_assets.S $(wildcard src/serve/web/*)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

$(B)/libsenti.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/libsenti-tools.a: $(TOOLS_OBJ)
	rm -f $@ && ar rcs $@ $^

# the shared library's name carries what keeps its ABI: the major version, and while that is 0
# the minor too (libsenti.so.0.2)
$(B)/libsenti.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libsenti.so.$(SONAME_VERSION) \
	  -Wl,--as-needed $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(B)/senti: $(CLI_OBJ) $(PROG_LIBS)
	$(CC) $(SANFLAGS) -o $@ $(CLI_OBJ) $(PROG_LIBS) $(LDLIBS_TOOLS) $(LDLIBS)

$(B)/senti-serve: $(SERVE_OBJ) $(PROG_LIBS)
	$(CC) $(SANFLAGS) -o $@ $(SERVE_OBJ) $(PROG_LIBS) $(LDLIBS_SERVE) $(LDLIBS_TOOLS) $(LDLIBS)

# senti-mpi (src/mpi/): senti batch across the ranks of an MPI job, a program of its own so that
# senti never links MPI; built where mpicc is (Debian openmpi-bin + libopenmpi-dev: `make mpi`).
# HAVE_MPI is looked up when used (=, not :=): `make test` installs Open MPI first.
MPICC    ?= mpicc
HAVE_MPI  = $(shell command -v $(MPICC) 2>/dev/null)
MPI_SRC  := $(sort $(wildcard src/mpi/*.c))
MPI_OBJ  := $(MPI_SRC:%.c=$(B)/obj/%.o)
$(B)/obj/src/mpi/%.o: src/mpi/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CFLAGS) $(LIBFLAGS) -MMD -MP -c $< -o $@

$(B)/senti-mpi: $(MPI_OBJ) $(PROG_LIBS)
	$(MPICC) $(SANFLAGS) -o $@ $(MPI_OBJ) $(PROG_LIBS) $(LDLIBS_TOOLS) $(LDLIBS)

.PHONY: mpi
mpi: deps ## senti-mpi: senti batch under MPI (installs Open MPI; build/senti-mpi)
	@tools/apt-ensure $(APT_MPI)
	@$(MAKE) --no-print-directory $(B)/senti-mpi

$(B)/test_unit: $(TEST_OBJ) $(PROG_LIBS)
	$(CC) $(SANFLAGS) -o $@ $(TEST_OBJ) $(PROG_LIBS) $(LDLIBS_TOOLS) $(LDLIBS)

# ---- dependencies (Debian 12 packages; installs only what is missing) ---------------------
APT_BUILD := build-essential pkg-config libutf8proc-dev libxxhash-dev libjansson-dev libcsv-dev \
             libmicrohttpd-dev libhiredis-dev
APT_TEST  := valgrind python3 fasttext curl jq wrk prometheus redis-server gnuplot-nox
# senti-mpi and its suite (tests/cli/mpi.sh)
APT_MPI   := openmpi-bin libopenmpi-dev
APT_TEST  += $(APT_MPI)
# the transformer kind's parity tests (tests/cli/transformer.sh): a PyTorch reference forward pass
APT_TEST  += python3-torch python3-numpy
# the web page's browser test (tests/cli/web.sh): Debian's chromium, driven by playwright-core
# from npm (tests/web/package-lock.json; no browser download)
# (Node.js and npm only where no `node`/`npm` is installed already: a Node.js from another source
# bundles its own npm, with which Debian's npm package conflicts)
APT_TEST  += chromium $(if $(shell command -v node 2>/dev/null),,nodejs) $(if $(shell command -v npm 2>/dev/null),,npm)
# the Python package's build and tests (python/, `make python`)
APT_TEST  += python3-dev python3-setuptools python3-wheel python3-pip python3-pytest python3-numpy \
             python3-pandas python3-sklearn python3-nltk
# scaling out (docs/SCALING.md): replicas behind nginx (tests/cli/replicas.sh; redis-server and
# wrk above), the Kubernetes manifests' check (tests/cli/k8s.sh), Dask (python/tests/test_dask.py)
APT_TEST  += nginx python3-yaml python3-dask python3-distributed
deps: ## install the Debian build dependencies
	@tools/apt-ensure $(APT_BUILD)
deps-test: deps ## install the Debian test dependencies too
	@tools/apt-ensure $(APT_TEST)

run: deps ## install dependencies, build, and score TEXT with the embedded model
	@$(MAKE) --no-print-directory all >/dev/null
	@$(B)/senti predict $(if $(TEXT),"$(TEXT)","what a wonderful, moving film" "a dull, lifeless mess")

FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(B)/fuzz-replay-%,$(wildcard tests/fuzz/fuzz_*.c))
test: deps-test ## install dependencies, build, and run every test suite (SUITES=... for some)
	@$(MAKE) --no-print-directory all $(B)/test_unit $(B)/test-tokenize $(FUZZ_REPLAY) python \
	  $(if $(HAVE_MPI),$(B)/senti-mpi)
	@$(MAKE) --no-print-directory SANITIZE=address,undefined build-san/senti build-san/senti-serve build-san/test_unit \
	  build-san/test-tokenize python \
	  $(subst $(B)/,build-san/,$(FUZZ_REPLAY))
	@DATA=$(DATA) tests/run.sh $(SUITES)

# the fast inner loop: no apt, no sanitizers, no valgrind, no model rebuild (about a minute)
check: all $(B)/test_unit ## build, then run the unit tests and the core CLI tests
	@DATA=$(DATA) SKIP_SAN=1 SKIP_VALGRIND=1 SENTI_QUICK=1 tests/run.sh unit core include-check

test-unit: $(B)/test_unit ## run the unit tests (T=NAME: those whose name contains NAME)
	$(B)/test_unit $(T)

include-check: ## fail on a circle of #include edges among src/ files
	@python3 tools/include-graph.py --check src

# ---- the default model ----------------------------------------------------------------------
# Trained by `senti train` on eleven corpora: SST-2 train, the IMDB and SemEval training splits
# and the training splits of the eight corpora of MODEL_SPLITS (tools/splits.sh), with the VADER
# lexicon and rated emoji tied in (tools/lexicon.sh); early stopping and the temperature on the
# eleven validation splits. MELD is never trained on. Settings and how they were chosen:
# models/MODEL_CARD.md. `make model-card` regenerates the card's metrics section.
MODEL_SPLITS = tse goemo proscons subjobj clothing druglib finnews sentfin
MODEL_DATA = $(DATA)/sst2/train.tsv $(B)/data/imdb_train.tsv $(B)/data/semeval_train.tsv \
             $(MODEL_SPLITS:%=$(B)/data/%_train.tsv)
MODEL_VALID = --valid $(DATA)/sst2/dev.tsv --valid $(B)/data/imdb_valid.tsv --valid $(B)/data/semeval_valid.tsv \
              $(MODEL_SPLITS:%=--valid $(B)/data/%_valid.tsv)
MODEL_ARGS = $(MODEL_DATA) $(MODEL_VALID) --lexicon $(B)/data/lexicon.tsv --lexicon-negation flip --norm sqrt \
             --vocab-min 2 --bits 21 --nb 20 --mentions --lr 0.2 --l2 1e-4 --class-weight balanced --file-weight balanced \
             --partial-labels 1 --no-partial $(DATA)/sst2/train.tsv --no-partial $(DATA)/sst2/dev.tsv \
             --ensemble 4 --calibrate --threads 2 --name senti-multi-linear --quiet
.PHONY: splits model-card semeval-iid model-files
splits: ## the validation splits of every corpus and the lexicon with rated emoji (build/data)
	@tools/splits.sh $(DATA) $(B)/data
	@tools/lexicon.sh $(DATA) $(B)/data
model-files: ## print the training files of the default model (what peers are trained on)
	@echo $(MODEL_DATA)
model: $(B)/senti splits ## retrain the default model from ../shared/data (bit for bit)
	@mkdir -p $(B)/model
	$(B)/senti train $(MODEL_ARGS) -o $(B)/model/default.safetensors
	cp $(B)/model/default.safetensors $(DEFAULT_MODEL)
	@sha256sum $(DEFAULT_MODEL)
# The same recipe with SemEval's validation split drawn at random instead of by period (the
# model card reports both): the model on tweets of the periods and topics it was trained on.
semeval-iid: $(B)/senti splits ## the default recipe with a random SemEval split
	@mkdir -p $(B)/model
	$(B)/senti train $(subst $(B)/data/semeval_,$(B)/data/semeval_iid_,$(MODEL_ARGS)) \
	    -o $(B)/model/semeval_iid.safetensors
	$(B)/senti eval $(B)/model/semeval_iid.safetensors $(B)/data/semeval_iid_valid.tsv
model-card: all splits ## regenerate the model card's metrics section
	DATA=$(DATA) SENTI=$(B)/senti tools/model_card.sh models/MODEL_CARD.md

# ---- fuzzing (clang's libFuzzer; `make fuzz FUZZ_SECONDS=60`) --------------------------------
# fuzz       a short run of every target (CI: 15 s each) from the seeds and the kept corpus
# fuzz-long  FUZZ_RUNS executions per target (10 million) on FUZZ_JOBS processes; the inputs that
#            add coverage are merged (minimized) into tests/fuzz/corpus/TARGET, which is committed
#            and replayed by make test
FUZZ_SECONDS ?= 30
FUZZ_RUNS ?= 10000000
FUZZ_JOBS ?= 2
FUZZ_TARGETS := $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c)))
# The sources every target links are compiled once into build/fuzz/obj (with make -j, in
# parallel); each target is its own .c file linked against them (fuzz_http also against the
# service's objects).
FUZZ_CC := clang -g -O1 -std=c17 -D_GNU_SOURCE -Iinclude -Isrc
FUZZ_SAN := address,undefined
FUZZ_LIB_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC) $(TOOLS_SRC)) build/fuzz/obj/src/default_model.o
FUZZ_SERVE_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(filter-out src/serve/entry.c,$(SERVE_SRC))) \
                  build/fuzz/obj/src/serve/web_assets.o
.PHONY: fuzz-build fuzz-long fuzz-clang
fuzz-clang:
	@tools/apt-ensure clang libclang-rt-14-dev
build/fuzz/obj/%.o: %.c | fuzz-clang
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c $< -o $@
build/fuzz/obj/src/default_model.o: src/default_model.S $(DEFAULT_MODEL) | fuzz-clang
	@mkdir -p $(dir $@)
	clang -c $< -o $@ -DSENTI_DEFAULT_MODEL_PATH='"$(DEFAULT_MODEL)"'
build/fuzz/obj/src/serve/web_assets.o: src/serve/web_assets.S $(wildcard src/serve/web/*) | fuzz-clang
	@mkdir -p $(dir $@)
	clang -c $< -o $@
-include $(shell find build/fuzz/obj -name '*.d' 2>/dev/null)
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@echo "clang -fsanitize=fuzzer ... -o $@"
	@$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $^ $(LDLIBS_TOOLS) $(LDLIBS)
build/fuzz/fuzz_http: tests/fuzz/fuzz_http.c $(FUZZ_SERVE_OBJ) $(FUZZ_LIB_OBJ)
	@echo "clang -fsanitize=fuzzer ... -o $@"
	@$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $^ $(LDLIBS_SERVE) $(LDLIBS_TOOLS) $(LDLIBS)
fuzz-build: $(addprefix build/fuzz/,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/corpus-$$t tests/fuzz/corpus/$$t; done
fuzz: fuzz-build ## libFuzzer over every target (FUZZ_SECONDS=30 each)
	@for t in $(FUZZ_TARGETS); do \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build/fuzz/corpus-$$t \
	    tests/fuzz/corpus/$$t tests/fuzz/seeds 2>&1 \
	    | grep -E '^(#[0-9]+ +DONE|Done|==[0-9]+==ERROR|SUMMARY)' || exit 1; \
	done
fuzz-long: fuzz-build ## libFuzzer, FUZZ_RUNS (10 million) executions per target; keeps new coverage
	@for t in $(FUZZ_TARGETS); do \
	  echo "== $$t ($(FUZZ_RUNS) runs on $(FUZZ_JOBS) processes)"; \
	  rm -f build/fuzz/$$t.log fuzz-*.log; \
	  build/fuzz/$$t -runs=$$(( $(FUZZ_RUNS) / $(FUZZ_JOBS) )) -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) \
	    -max_len=4096 build/fuzz/corpus-$$t tests/fuzz/corpus/$$t tests/fuzz/seeds > build/fuzz/$$t.log 2>&1; \
	  rm -f fuzz-*.log; \
	  grep -E '==[0-9]+==ERROR|SUMMARY' build/fuzz/$$t.log && exit 1; \
	  grep -E '^#[0-9]+[[:space:]]+DONE' build/fuzz/$$t.log | awk '{n += substr($$1, 2)} END {print "executions:", n}'; \
	  mkdir -p build/fuzz/merged-$$t && rm -rf build/fuzz/merged-$$t/*; \
	  build/fuzz/$$t -merge=1 build/fuzz/merged-$$t tests/fuzz/corpus/$$t build/fuzz/corpus-$$t 2>/dev/null; \
	  rm -rf tests/fuzz/corpus/$$t && mv build/fuzz/merged-$$t tests/fuzz/corpus/$$t; \
	  echo "corpus: $$(ls tests/fuzz/corpus/$$t | wc -l) files in tests/fuzz/corpus/$$t"; \
	done

# the fuzz targets replayed over the seed corpus with the regular compiler (part of make test)
$(B)/fuzz-replay-%: tests/fuzz/%.c tests/fuzz/replay.c $(PROG_LIBS)
	$(CC) $(CFLAGS) $(BASEFLAGS) -o $@ $^ $(LDLIBS_TOOLS) $(LDLIBS)

# ---- the HTTP fuzz target (tests/fuzz/fuzz_http.c) ------------------------------------------
# It calls the service's request handlers (src/serve/api.c) in-process, so unlike the library's
# targets it also links the serve objects (all but the program's main) and their libraries:
# this explicit rule wins over the fuzz-replay-% pattern.
SERVE_FUZZ_OBJ := $(filter-out $(B)/obj/src/serve/entry.o,$(SERVE_OBJ))
$(B)/fuzz-replay-fuzz_http: tests/fuzz/fuzz_http.c tests/fuzz/replay.c $(SERVE_FUZZ_OBJ) $(PROG_LIBS)
	$(CC) $(CFLAGS) $(BASEFLAGS) -o $@ $^ $(LDLIBS_SERVE) $(LDLIBS_TOOLS) $(LDLIBS)

# the transformer tokenizers' test and benchmark program (tests/cli/tokenizer.sh)
$(B)/test-tokenize: tests/tokenize_main.c $(B)/libsenti.a
	$(CC) $(CFLAGS) $(BASEFLAGS) -o $@ $^ $(LDLIBS)

# ---- benchmarks -----------------------------------------------------------------------------
$(B)/bench-latency: bench/latency.c $(B)/libsenti.a
	$(CC) $(CFLAGS) $(BASEFLAGS) -o $@ $^ $(LDLIBS)
# the vader speed program of bench/vader_speed.sh and bench/vader_bench.sh
$(B)/bench-vader-speed: bench/vader_speed.c $(B)/libsenti.a
	$(CC) $(CFLAGS) $(BASEFLAGS) -o $@ $^ $(LDLIBS)
bench-latency: $(B)/bench-latency ## in-process cost of one prediction and throughput
	$(B)/bench-latency $(DATA)/sst2/dev.tsv
bench-fasttext: all ## accuracy, speed, RSS and start-up against fastText
	bench/fasttext.sh
# the kernel layer (src/kernels/): speed per kernel, shape and CPU variant; ARGS=--json.
# The x86 kernel files carry their ISA flags in the source (#pragma target), so no per-file
# flags here and the clang fuzz build compiles them as they are.
.PHONY: bench-kernels
$(B)/bench-kernels: bench/kernels.c $(B)/libsenti.a
	$(CC) $(CFLAGS) $(BASEFLAGS) -o $@ $^ $(LDLIBS)
bench-kernels: $(B)/bench-kernels ## GFLOP/s per kernel, shape and CPU variant (ARGS=--json)
	$(B)/bench-kernels $(ARGS)

# the transformer forward pass on DistilBERT-base and BERT-base shapes, random weights, f32 and
# int8: ms per text at 16/64/128 tokens, texts/s at batch 32, GFLOP/s (ARGS=--model bert ...)
.PHONY: bench-transformer-engine
$(B)/bench-transformer-engine: bench/transformer_speed.c $(B)/libsenti.a
	$(CC) $(CFLAGS) $(BASEFLAGS) -o $@ $^ $(LDLIBS)
bench-transformer-engine: $(B)/bench-transformer-engine ## transformer forward pass speed, f32 and int8
	$(B)/bench-transformer-engine $(ARGS)

# ---- performance tooling (docs/PERFORMANCE.md) ----------------------------------------------
# benchmark        senti bench: the targets table, latency percentiles, throughput at 1..N
#                  threads and against text length; JSON, CSV and SVG plots in build/bench/
# benchmark-peers  the same workload through fastText, scikit-learn and NLTK VADER; ratios
# profile-cpu      perf flame graph + top functions, callgrind with line-level annotation
# profile-memory   massif, heaptrack, senti's own heap accounting
#                  (both: MODEL=FILE-or-SPEC profiles that model, e.g. a transformer file from
#                  `senti model import`; line counts follow its measured speed; LINES=N)
# bench-check      the CI gate: callgrind instruction counts against bench/baseline.json (+5%)
# bench-baseline   rewrite bench/baseline.json (a deliberate, reviewed change)
# docs             regenerate the measured section of docs/PERFORMANCE.md
.PHONY: benchmark benchmark-peers benchmark-transformer profile-cpu profile-memory bench-check bench-baseline docs
BENCH_OUT   ?= build/bench
PROFILE_OUT ?= build/profile
BENCH_ARGS  ?=
BENCH_MODEL ?= default
APT_PEERS   := fasttext python3-sklearn python3-nltk python3-fasttext time
# the folder, model and data reach the recipe as environment variables, quoted by the shell,
# never pasted into a command line (a folder named with a quote must stay a folder name)
benchmark: export BENCH_OUT := $(BENCH_OUT)
benchmark: export BENCH_MODEL := $(BENCH_MODEL)
benchmark: export DATA := $(DATA)
benchmark: all ## senti bench: targets, latency percentiles, throughput, plots
	@tools/apt-ensure gnuplot-nox
	$(B)/senti bench --model "$$BENCH_MODEL" --data "$$DATA/sst2/dev.tsv" --out "$$BENCH_OUT" $(BENCH_ARGS)
	@gnuplot -c bench/plots.gp "$$BENCH_OUT" "senti $$BENCH_MODEL"
	@printf 'plots: %s/latency.svg %s/threads.svg %s/length.svg\n' "$$BENCH_OUT" "$$BENCH_OUT" "$$BENCH_OUT"
benchmark-peers: all ## the same workload through fastText, scikit-learn, NLTK VADER
	@tools/apt-ensure $(APT_PEERS)
	DATA=$(DATA) SENTI=$(B)/senti bench/peers.sh
APT_TRANSFORMER_PEERS := python3-torch python3-numpy python3-onnx libopenblas0-pthread time
benchmark-transformer: all $(B)/test-tokenize python ## the transformer kind against PyTorch and ONNX Runtime (BENCH_ARGS=--quick)
	@tools/apt-ensure $(APT_TRANSFORMER_PEERS) $(if $(shell command -v node 2>/dev/null),,nodejs npm)
	B=$(B) DATA=$(DATA) BENCH_ARGS="$(BENCH_ARGS)" bench/transformer_peers.sh
profile-cpu profile-memory: export MODEL := $(MODEL)
profile-cpu: all ## perf flame graph, top functions, callgrind hot lines (MODEL=SPEC)
	@tools/apt-ensure valgrind linux-perf python3
	DATA=$(DATA) SENTI=$(B)/senti OUT=$(PROFILE_OUT) tools/profile-cpu.sh
profile-memory: all ## massif, heaptrack, the library's heap accounting (MODEL=SPEC)
	@tools/apt-ensure valgrind heaptrack
	DATA=$(DATA) SENTI=$(B)/senti OUT=$(PROFILE_OUT) tools/profile-memory.sh
bench-check: all ## CI gate: instruction counts against bench/baseline.json
	@tools/apt-ensure valgrind python3
	python3 tools/perf-gate.py --senti $(B)/senti --data $(DATA)/sst2/dev.tsv
bench-baseline: all ## rewrite bench/baseline.json (a reviewed change)
	@tools/apt-ensure valgrind python3
	python3 tools/perf-gate.py --senti $(B)/senti --data $(DATA)/sst2/dev.tsv --update
docs: all ## regenerate the measured section of docs/PERFORMANCE.md
	@tools/apt-ensure gnuplot-nox python3
	DATA=$(DATA) SENTI=$(B)/senti tools/perf-docs.sh

# ---- install --------------------------------------------------------------------------------
install: all ## install PREFIX=/usr/local: programs, libraries, header, pkg-config file
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(B)/senti $(DESTDIR)$(PREFIX)/bin/senti
	install -m 755 $(B)/senti-serve $(DESTDIR)$(PREFIX)/bin/senti-serve
	if [ -x $(B)/senti-mpi ]; then install -m 755 $(B)/senti-mpi $(DESTDIR)$(PREFIX)/bin/senti-mpi; fi
	install -m 644 $(B)/libsenti.a $(DESTDIR)$(PREFIX)/lib/libsenti.a
	install -m 755 $(B)/libsenti.so $(DESTDIR)$(PREFIX)/lib/libsenti.so.$(VERSION)
	ln -sf libsenti.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsenti.so.$(SONAME_VERSION)
	ln -sf libsenti.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsenti.so
	install -m 644 include/senti.h $(DESTDIR)$(PREFIX)/include/senti.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' senti.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/senti.pc

uninstall: ## remove what install put in PREFIX
	rm -f $(DESTDIR)$(PREFIX)/bin/senti $(DESTDIR)$(PREFIX)/bin/senti-serve $(DESTDIR)$(PREFIX)/bin/senti-mpi $(DESTDIR)$(PREFIX)/lib/libsenti.* \
	  $(DESTDIR)$(PREFIX)/include/senti.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/senti.pc

clean: ## remove build/ and build-san/
	rm -rf build build-san

# ---- HTTP service load test (bench/loadtest.sh; wrk against senti serve and a Flask peer) ----
APT_LOADTEST := wrk curl python3-flask python3-sklearn
DURATION ?= 30
loadtest: deps ## wrk against senti serve and a Flask peer (DURATION=30)
	@tools/apt-ensure $(APT_LOADTEST)
	@$(MAKE) --no-print-directory $(B)/senti $(B)/senti-serve
	@SENTI=$(B)/senti DATA=$(DATA) bench/loadtest.sh $(DURATION)
.PHONY: loadtest
# the same with a transformer model (DistilBERT-base shape, random weights) against a FastAPI +
# PyTorch service: senti unbatched, batched (the queue) and int8 batched; bench/loadtest.sh
APT_LOADTEST_TF := wrk curl jq python3-numpy python3-torch python3-fastapi python3-uvicorn
loadtest-transformer: deps ## wrk: senti serve with a transformer model, batched and not, against FastAPI + PyTorch
	@tools/apt-ensure $(APT_LOADTEST_TF)
	@$(MAKE) --no-print-directory $(B)/senti $(B)/senti-serve
	@MODE=transformer OUT=$(B)/loadtest-transformer SENTI=$(B)/senti DATA=$(DATA) bench/loadtest.sh $(DURATION)
.PHONY: loadtest-transformer

# ---- Python package (python/, docs/python.md) ------------------------------------------------
# `make python` builds the senti package (the _senti extension linked statically against
# libsenti) with Debian's setuptools and no network into $(B)/python; tests/run.sh python runs
# its pytest suite from there. PYTHON picks the interpreter (Debian's: its python3-* packages).
PYTHON ?= /usr/bin/python3
PIP_OFFLINE := --no-build-isolation --no-index --no-deps
.PHONY: python python-wheel bench-python
python: $(B)/libsenti.a $(B)/libsenti-tools.a ## build the Python package into build/python
	SENTI_BUILD_DIR=$(B) SENTI_SANITIZE=$(SANITIZE) $(PYTHON) -m pip install -q $(PIP_OFFLINE) --root-user-action=ignore --upgrade --target $(B)/python ./python
python-wheel: $(B)/libsenti.a $(B)/libsenti-tools.a ## the Python package as an abi3 wheel in build/dist
	SENTI_BUILD_DIR=$(B) SENTI_SANITIZE=$(SANITIZE) $(PYTHON) -m pip wheel -q $(PIP_OFFLINE) -w $(B)/dist ./python
bench-python: all python ## the Python binding against C, NLTK VADER and scikit-learn
	@tools/apt-ensure valgrind python3-nltk python3-sklearn python3-numpy python3-fasttext
	PYTHONPATH=$(B)/python DATA=$(DATA) $(PYTHON) bench/python_bench.py --instructions
