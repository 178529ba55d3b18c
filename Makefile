# Lethe: the two commands the README opens with, and a few helpers.
#   make demo   install what is missing, build, run the main jobs on the bundled sample export:
#               init, import (twice, overlapping: the second with an import role key; then an export with attached files),
#               stats, verify, policy check, search (inside an attached file too),
#               retention plan and apply with a retention role key,
#               forget, audit, export, an RSMF production, an Enterprise Grid export,
#               a modern export's canvases and lists searched, serve (one page fetched)
#   make test   install what is missing, build, run the whole test suite

SWIFT ?= swift
DEMO  ?= /tmp/lethe-demo
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build demo test clean

deps:
	@if ! pkg-config --exists libsodium libzstd sqlite3 zlib libcurl 2>/dev/null; then \
	  echo "installing libsodium-dev libzstd-dev libsqlite3-dev zlib1g-dev libcurl4-openssl-dev"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libsodium-dev libzstd-dev libsqlite3-dev zlib1g-dev libcurl4-openssl-dev pkg-config; \
	fi

# --static-swift-stdlib links the Swift runtime and Foundation into the binary: it runs on a
# machine without Swift, and starts in about half the time (fewer symbols to bind at launch).
# libcurl: FlyingFox (lethe serve's HTTP server) imports FoundationNetworking, whose static
# library links libcurl (docs/SERVE.md).
build: deps
	$(SWIFT) build -c release --static-swift-stdlib --product lethe

test: deps
	$(SWIFT) test

demo: build
	@set -e; L="$$($(SWIFT) build -c release --show-bin-path)/lethe"; \
	rm -rf "$(DEMO)"; mkdir -p "$(DEMO)"; \
	export LETHE_ARCHIVE="$(DEMO)/archive"; \
	echo "== lethe init (key file $(DEMO)/demo.key)"; \
	"$$L" init --key-file "$(DEMO)/demo.key"; \
	export LETHE_KEY="$(DEMO)/demo.key"; \
	echo "== lethe import Tests/Fixtures/slack-sample"; \
	"$$L" import --key-file "$$LETHE_KEY" Tests/Fixtures/slack-sample; \
	echo "== lethe key issue --role import (the nightly server's key: it may import, and read nothing)"; \
	"$$L" key issue --key-file "$$LETHE_KEY" --role import --out "$(DEMO)/import.key"; \
	echo "== lethe import --key-file import.key Tests/Fixtures/slack-sample-update (a later, overlapping export, with the import key only)"; \
	"$$L" import --key-file "$(DEMO)/import.key" Tests/Fixtures/slack-sample-update; \
	echo "== lethe search --key-file import.key zebracorn (the import key reads nothing: refused, exit 12)"; \
	"$$L" search --key-file "$(DEMO)/import.key" zebracorn || echo "   exit $$?"; \
	echo "== lethe stats"; \
	"$$L" stats --key-file "$$LETHE_KEY"; \
	echo "== lethe import Tests/Fixtures/slack-files (a slackdump export with attached files: a PDF, a PNG, text, CSV)"; \
	"$$L" import --key-file "$$LETHE_KEY" Tests/Fixtures/slack-files 2>/dev/null; \
	echo "== lethe search plumtree (a word inside an attached text file finds the message that shared it)"; \
	"$$L" search --key-file "$$LETHE_KEY" plumtree; \
	echo "== lethe verify (every chunk of every file authenticates and matches its digest)"; \
	"$$L" verify --key-file "$$LETHE_KEY"; \
	echo "== lethe export --out $(DEMO)/with-files: the attached files come back byte for byte, where they were"; \
	"$$L" export --key-file "$$LETHE_KEY" --out "$(DEMO)/with-files" | tail -n 1; \
	for f in Tests/Fixtures/slack-files/*/attachments/*; do \
	  r="$(DEMO)/with-files/$${f#Tests/Fixtures/slack-files/}"; \
	  if [ -f "$$r" ]; then cmp -s "$$f" "$$r" && echo "   identical  $${f#Tests/Fixtures/slack-files/}"; else echo "   not kept   $${f#Tests/Fixtures/slack-files/} (no message shares it: listed at import)"; fi; \
	done; \
	echo "== lethe policy check Policies/standard.yml (which rule governs each channel)"; \
	"$$L" policy check --key-file "$$LETHE_KEY" Policies/standard.yml; \
	echo "== lethe search 'zebracorn'  /  'from:@alice in:#general roadmap'  /  '東京'"; \
	"$$L" search --key-file "$$LETHE_KEY" zebracorn; \
	"$$L" search --key-file "$$LETHE_KEY" 'from:@alice in:#general roadmap' --limit 3; \
	"$$L" search --key-file "$$LETHE_KEY" '東京'; \
	echo "== lethe key issue --role retention (the nightly server's other key: it plans and shreds, and reads no message)"; \
	"$$L" key issue --key-file "$$LETHE_KEY" --role retention --out "$(DEMO)/retention.key"; \
	echo "== lethe retention plan --key-file retention.key --policy Policies/standard.yml --now 2026-11-27T00:00:00Z"; \
	"$$L" retention plan --key-file "$(DEMO)/retention.key" --policy Policies/standard.yml --now 2026-11-27T00:00:00Z; \
	echo "== lethe retention apply --key-file retention.key (the same plan, executed: keys destroyed)"; \
	"$$L" retention apply --key-file "$(DEMO)/retention.key" --policy Policies/standard.yml --now 2026-11-27T00:00:00Z | tail -n 1; \
	echo "== lethe export --key-file retention.key (it reads no message: refused, exit 12)"; \
	"$$L" export --key-file "$(DEMO)/retention.key" --out "$(DEMO)/nope" 2>&1 | head -n 1 || true; \
	echo "== lethe import Tests/Fixtures/slack-sample again: shredded buckets stay shredded"; \
	"$$L" import --key-file "$$LETHE_KEY" Tests/Fixtures/slack-sample; \
	echo "== lethe search 'pangolinrx' (its channel was shredded: nothing comes back)"; \
	"$$L" search --key-file "$$LETHE_KEY" pangolinrx; \
	echo "== lethe forget --user U05C4R0L8MN (carol asked to be forgotten: dry run, then for good)"; \
	"$$L" forget --key-file "$$LETHE_KEY" --user U05C4R0L8MN --policy Policies/standard.yml --reason "demo erasure request" --dry-run | tail -n 1; \
	"$$L" forget --key-file "$$LETHE_KEY" --user U05C4R0L8MN --policy Policies/standard.yml --reason "demo erasure request" --yes | tail -n 1; \
	"$$L" search --key-file "$$LETHE_KEY" 'from:@carol'; \
	echo "== lethe audit --verify"; \
	"$$L" audit --key-file "$$LETHE_KEY" --verify; \
	echo "== lethe stats"; \
	"$$L" stats --key-file "$$LETHE_KEY"; \
	echo "== lethe export --out $(DEMO)/restored"; \
	"$$L" export --key-file "$$LETHE_KEY" --out "$(DEMO)/restored"; \
	echo "   (no attached files left: retention shredded slack-files' 2024 buckets, and their files with them)"; \
	echo "== lethe export --format rsmf --channel general --user U05B0B7Q2XR (a production for a review platform; audited)"; \
	"$$L" export --key-file "$$LETHE_KEY" --out "$(DEMO)/production" --format rsmf --channel general --user U05B0B7Q2XR; \
	head -n 3 "$(DEMO)/production/loadfile.csv"; \
	"$$L" audit --key-file "$$LETHE_KEY" | tail -n 1; \
	echo "== an Enterprise Grid export (Tests/Fixtures/slack-grid: two workspaces, a channel shared between them), in its own archive"; \
	G="$(DEMO)/grid"; "$$L" init --archive "$$G" --key-file "$(DEMO)/grid.key" >/dev/null; \
	"$$L" import --archive "$$G" --key-file "$(DEMO)/grid.key" Tests/Fixtures/slack-grid 2>/dev/null | sed -n '2,3p'; \
	echo "== lethe search 'quasar' (the shared channel's message once), then 'in:acme-sales/#general'"; \
	"$$L" search --archive "$$G" --key-file "$(DEMO)/grid.key" quasar | grep '^[^ ]'; \
	"$$L" search --archive "$$G" --key-file "$(DEMO)/grid.key" 'in:acme-sales/#general'; \
	echo "== lethe export: the Grid layout back (teams/<workspace>/, the shared channel in both)"; \
	"$$L" export --archive "$$G" --key-file "$(DEMO)/grid.key" --out "$(DEMO)/grid-export" >/dev/null; \
	(cd "$(DEMO)/grid-export" && find . -name '*.json' -path '*/20*' | sort | sed 's/^/   /'); \
	echo "== a modern export (Tests/Fixtures/slack-canvases): canvases, lists, a huddle transcript, integration logs, a file conversation"; \
	V="$(DEMO)/canvases"; "$$L" init --archive "$$V" --key-file "$(DEMO)/canvases.key" >/dev/null; \
	"$$L" import --archive "$$V" --key-file "$(DEMO)/canvases.key" Tests/Fixtures/slack-canvases | sed -n '1,4p'; \
	echo "== lethe search 'persimmonpalette' (a canvas of #design), 'rambutanribbons' (a list of the workspace)"; \
	"$$L" search --archive "$$V" --key-file "$(DEMO)/canvases.key" persimmonpalette; \
	"$$L" search --archive "$$V" --key-file "$(DEMO)/canvases.key" rambutanribbons; \
	echo "== slackdump's own formats (written by Tests/Fixtures/make-slackdump-fixtures.py): its SQLite database, imported as it is"; \
	if command -v python3 >/dev/null; then \
	  python3 Tests/Fixtures/make-slackdump-fixtures.py "$(DEMO)/slackdump" && \
	  SD="$(DEMO)/sd"; "$$L" init --archive "$$SD" --key-file "$(DEMO)/sd.key" >/dev/null && \
	  "$$L" import --archive "$$SD" --key-file "$(DEMO)/sd.key" "$(DEMO)/slackdump/database/slackdump.sqlite" 2>/dev/null | sed -n '2,3p;6,$$p'; \
	  echo "== lethe search marmalade (a thread reply slackdump paged apart from its channel)"; \
	  "$$L" search --archive "$$SD" --key-file "$(DEMO)/sd.key" marmalade; \
	  echo "== the chunk archive and the dump of the same workspace add nothing new"; \
	  "$$L" import --archive "$$SD" --key-file "$(DEMO)/sd.key" "$(DEMO)/slackdump/chunks" "$(DEMO)/slackdump/dump.zip" 2>/dev/null | grep 'added,'; \
	else echo "   skipped: python3 is needed to write the slackdump fixtures"; fi; \
	echo "== a Mattermost bulk export (Tests/Fixtures/mattermost-sample/import.jsonl: a team, channels, a thread, direct messages)"; \
	M="$(DEMO)/mm"; "$$L" init --archive "$$M" --key-file "$(DEMO)/mm.key" >/dev/null; \
	"$$L" import --archive "$$M" --key-file "$(DEMO)/mm.key" Tests/Fixtures/mattermost-sample 2>/dev/null | sed -n '1,3p'; \
	echo "== lethe search 'hangar in:acme/#town-square' (a reply in a Mattermost thread; the team is a workspace)"; \
	"$$L" search --archive "$$M" --key-file "$(DEMO)/mm.key" 'hangar in:acme/#town-square'; \
	echo "== lethe export: Mattermost's conversations go back into one import.jsonl, as mmctl reads it"; \
	"$$L" export --archive "$$M" --key-file "$(DEMO)/mm.key" --out "$(DEMO)/mm-export" >/dev/null; \
	wc -l < "$(DEMO)/mm-export/import.jsonl" | sed 's/^/   lines written: /'; \
	echo "== DiscordChatExporter's JSON (Tests/Fixtures/discord-sample: a server's channel), into the same archive"; \
	"$$L" import --archive "$$M" --key-file "$(DEMO)/mm.key" Tests/Fixtures/discord-sample 2>/dev/null | sed -n '2,3p'; \
	echo "== lethe search 'quince in:\"zine-collective/#events\"' (a Discord reply; a quoted in: may hold a guild name with spaces), fluorescent (inside its downloaded attachment), and the export: import.jsonl for Mattermost, discord/ for Discord"; \
	"$$L" search --archive "$$M" --key-file "$(DEMO)/mm.key" 'quince in:"zine-collective/#events"'; \
	"$$L" search --archive "$$M" --key-file "$(DEMO)/mm.key" fluorescent | sed -n 2p; \
	"$$L" export --archive "$$M" --key-file "$(DEMO)/mm.key" --out "$(DEMO)/mixed-export" >/dev/null; \
	(cd "$(DEMO)/mixed-export" && find . -type f | sort | sed 's/^/   /'); \
	echo "== lethe serve --port 0 (the archive in a browser: one page fetched with the token, then stopped)"; \
	"$$L" serve --key-file "$$LETHE_KEY" --port 0 --json --policy Policies/standard.yml > "$(DEMO)/serve.json" & S=$$!; \
	for i in $$(seq 50); do [ -s "$(DEMO)/serve.json" ] && break; sleep 0.1; done; \
	U=$$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$(DEMO)/serve.json"); echo "   $$U"; \
	curl -s "$${U%/*}/c/C05GENRL001?$${U##*\?}" | grep -o '<li class="msg[^>]*data-ts="[^"]*"' | wc -l | sed 's/^/   messages on #general'"'"'s newest day: /'; \
	curl -s -o /dev/null -w '   without the token: HTTP %{http_code}\n' "$${U%/*}/"; \
	kill -TERM $$S; wait $$S

clean:
	rm -rf .build

# Benchmarks (Benchmarks/README.md): every figure beside a plaintext baseline from the same run.
#   make bench        1,000,000 messages
#   make bench-quick  about 50,000 messages, about a minute after the build (CI smoke test)
#   make bench BENCH_ARGS='--json bench.json'   more options: python3 Benchmarks/bench.py --help
#   make bench-files  attached files: 2 GiB imported and exported beside cp -r and tar | zstd -3 (not in CI)
#   make bench-memory peak RSS of import, export, verify, search, retention (200,000 messages; not in CI)
#                     BENCH_ARGS='--messages 1000000 --baseline-lethe OLD_BIN' beside another build
#   make bench-platforms  Mattermost's and Discord's importers beside the Slack export of the same messages (not in CI)
#   make bench-scale  import, size and search at 100k, 1M and 5M messages: a table and docs/images/scale.png
#                     (about 40 minutes and ~20 GB of scratch under /tmp; not in CI;
#                     make bench-scale BENCH_ARGS='--sizes 10000,30000' to try it)
BENCH_ARGS ?=
.PHONY: bench bench-quick bench-files bench-memory bench-scale bench-platforms

bench: deps
	python3 Benchmarks/bench.py $(BENCH_ARGS)

bench-quick: deps
	python3 Benchmarks/bench.py --quick $(BENCH_ARGS)
	python3 Benchmarks/bench_files.py --mb 64

bench-files: deps
	python3 Benchmarks/bench_files.py $(BENCH_ARGS)

bench-memory: deps
	python3 Benchmarks/bench_memory.py $(BENCH_ARGS)

bench-scale: deps
	python3 Benchmarks/bench_scale.py $(BENCH_ARGS)

bench-platforms: deps
	$(SWIFT) build -c release --product lethe-gen
	$(SWIFT) build -c release --static-swift-stdlib --product lethe
	python3 Benchmarks/bench_platforms.py $(BENCH_ARGS)

# Fuzzing (docs/SECURITY.md, "Fuzzing"): libFuzzer + AddressSanitizer on each target in turn,
# FUZZ_SECONDS each, starting from Tests/FuzzCorpus/<target>/ copied into FUZZ_DIR (the
# repository's corpus is never written). Crash inputs land in FUZZ_DIR/<target>/artifacts/,
# emptied when that target's run starts (so the count printed is this run's).
#   make fuzz                                          every target, 60 s each
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=policy-parser
# Replay a crash: swift build --product lethe-fuzz && .build/debug/lethe-fuzz <target> FILE
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= export-reader mattermost-reader discord-reader policy-parser query-parser record-decoder
FUZZ_DIR     ?= .build-fuzz/work
FUZZ_BUILD   := -c release --product lethe-fuzz --scratch-path .build-fuzz \
                -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING \
                -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
# -malloc_limit_mb: one allocation over 256 MiB from a small input is a bug (a lying size field).
# SWIFT_BACKTRACE=enable=no: a trap is reported by libFuzzer (deadly signal), not by Swift's
# backtracer, whose memory reads trip AddressSanitizer.
# detect_leaks=0 (libFuzzer's per input, ASan's at exit): ZIPFoundation leaks 32 bytes per zip
# opened (a Foundation path buffer it never frees), once per import in lethe, once per input here.
FUZZ_OPTIONS ?= -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -detect_leaks=0 -print_final_stats=1
.PHONY: fuzz

fuzz: deps
	$(SWIFT) build $(FUZZ_BUILD)
	@F="$$($(SWIFT) build $(FUZZ_BUILD) --show-bin-path)/lethe-fuzz"; failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  d="$(FUZZ_DIR)/$$t"; rm -rf "$$d/artifacts"; mkdir -p "$$d/corpus" "$$d/artifacts"; cp Tests/FuzzCorpus/$$t/* "$$d/corpus/"; \
	  echo "== $$t: $(FUZZ_SECONDS) s (log $$d/log)"; \
	  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 LETHE_FUZZ_TARGET=$$t "$$F" $(FUZZ_OPTIONS) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix="$$d/artifacts/" "$$d/corpus" > "$$d/log" 2>&1 || failed="$$failed $$t"; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' "$$d/log" | tail -n 1); \
	  echo "   $${execs:-?} executions, corpus $$(ls "$$d/corpus" | wc -l) inputs, $$(ls "$$d/artifacts" | wc -l) crash inputs"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed (see $(FUZZ_DIR)/<target>/log and artifacts/)"; exit 1; fi

# The built-in zstd dictionary (docs/FORMAT.md §4a), trained only on lethe-gen output with
# fixed seeds: a standard and a thin workspace. `make dictionary` regenerates
# Sources/CLetheDictionaries/slack1.c; `make dictionary-check` checks that the committed one is
# exactly what the command gives (training is deterministic). A shipped dictionary never
# changes: a new one needs a new file, symbol and id. About two minutes after the build.
DICT_DIR   ?= .build/dictionary
DICT_OUT   ?= Sources/CLetheDictionaries/slack1.c
DICT_GEN   := --messages 40000 --end 2026-10-31
.PHONY: dictionary dictionary-check

dictionary: deps
	$(SWIFT) build -c release --static-swift-stdlib --product lethe-gen
	$(SWIFT) build -c release --static-swift-stdlib --product lethe-dict
	rm -rf $(DICT_DIR) && mkdir -p $(DICT_DIR)
	.build/release/lethe-gen $(DICT_GEN) --profile standard --seed 9001 --out $(DICT_DIR)/standard
	.build/release/lethe-gen $(DICT_GEN) --profile thin --seed 9002 --out $(DICT_DIR)/thin
	.build/release/lethe-dict train --symbol slack1 --out $(DICT_OUT) \
	  --provenance "slack-1: trained by 'make dictionary' on lethe-gen $(DICT_GEN) --profile standard --seed 9001" \
	  --provenance "and --profile thin --seed 9002 (synthetic data only; ZDICT_trainFromBuffer, 112640 bytes at most)." \
	  $(DICT_DIR)/standard $(DICT_DIR)/thin

dictionary-check:
	$(MAKE) dictionary DICT_OUT=$(DICT_DIR)/slack1.c
	cmp $(DICT_DIR)/slack1.c Sources/CLetheDictionaries/slack1.c && echo "dictionary-check: the committed dictionary is what 'make dictionary' trains"
