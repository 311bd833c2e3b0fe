#!/usr/bin/env bash
# run_all.sh: the main job. Builds every crate in release mode, runs the benchmark plan
# (`perf-report bench`: every demo in every mode at worker counts 1, 2, 4, ... up to twice the
# logical CPUs, the outside reference tools, the Python baseline), then renders the report
# (`perf-report RESULTS.jsonl`): OUT/README.md and OUT/charts/*.svg, and, with the default OUT,
# the Performance block of every crate README.
#
# Each crate is built on its own (`cargo build --release -p NAME`), the way `cargo run
# --release -p NAME` resolves its dependencies' features, so that a later `cargo run --release
# -p NAME` compiles nothing. (A whole-workspace build unifies the features of shared
# dependencies across crates, and cargo 1.95 has no stable way to make `-p` builds do the same.)
#
# Options are those of `perf-report bench` (see --help): --quick, --runs N, --out DIR,
# --only D[,D], --bin-dir DIR (prebuilt binaries, no build: for a machine without cargo),
# --resume FILE, --merge A.jsonl B.jsonl ..., --list.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '%s\n' "$*" >&2; }

# Paths on the command line are relative to where the script was started; everything below
# runs in the repository, so make them absolute first. Also note --out, --only and --bin-dir.
out="$repo/performance_analysis"
given=" " # the options given, so that the defaults below are added only for the others
only=""
bin_dir=""
info_only=0 # --help or --list: no build, no report
args=()
path_next="" # the option whose value comes next
merging=0
for a in "$@"; do
    if [[ -n $path_next ]]; then
        case $path_next in
            --only) only=$a ;;
            --runs) ;;
            *) a="$(realpath -m -- "$a")" ;;
        esac
        case $path_next in --out) out=$a ;; --bin-dir) bin_dir=$a ;; esac
        path_next=""
    elif ((merging)) && [[ $a != -* ]]; then
        a="$(realpath -m -- "$a")"
    else
        merging=0
        [[ $a == --* ]] && given+="${a%%=*} "
        case $a in
            --out | --bin-dir | --resume | --python-dir | --only | --runs) path_next=$a ;;
            --merge) merging=1 ;;
            --out=* | --bin-dir=* | --resume=* | --python-dir=*)
                a="${a%%=*}=$(realpath -m -- "${a#*=}")"
                case $a in --out=*) out=${a#*=} ;; --bin-dir=*) bin_dir=${a#*=} ;; esac
                ;;
            --only=*) only=${a#*=} ;;
            -h | --help | --list | -V | --version) info_only=1 ;;
        esac
    fi
    args+=("$a")
done
cd "$repo"
update_readmes=0
[[ $out == "$repo/performance_analysis" ]] && update_readmes=1

if ((!info_only)); then
    if ((update_readmes)); then
        log "run_all.sh: this run rewrites performance_analysis/ (results, README.md, charts) and the"
        log "  Performance block of every crate README. Pass --out DIR to write there instead and"
        log "  leave the checkout untouched."
    else
        log "run_all.sh: writing to $out; the checkout is left untouched."
    fi
fi

# Build (or find the prebuilt binaries).
if [[ -n $bin_dir ]]; then
    bin=$bin_dir
    ((info_only)) || log "using prebuilt binaries in $bin (no build)"
else
    command -v cargo >/dev/null || {
        log "run_all.sh: error: cargo not found: install a Rust toolchain, or pass --bin-dir DIR with prebuilt release binaries"
        exit 1
    }
    packages=(perf-report)
    if [[ -n $only ]]; then
        IFS=',' read -r -a wanted <<<"$only"
        packages+=("${wanted[@]}")
    elif ((!info_only)); then
        for manifest in crates/*/Cargo.toml; do
            name="$(basename "$(dirname "$manifest")")"
            [[ $name == perf-report ]] || packages+=("$name")
        done
    fi
    for p in "${packages[@]}"; do
        ((info_only)) || log "building $p in release mode"
        cargo build --release --quiet -p "$p"
    done
    # Where cargo put the binaries: `cargo metadata` knows, whether CARGO_TARGET_DIR, a
    # .cargo/config.toml or the default target/ decides it.
    meta="$(cargo metadata --format-version 1 --no-deps)"
    [[ $meta =~ \"target_directory\":\"([^\"]*)\" ]] || {
        log "run_all.sh: error: cannot find the target directory in 'cargo metadata'"
        exit 1
    }
    bin="${BASH_REMATCH[1]}/release"
fi
perf_report="$bin/perf-report"
[[ -x $perf_report ]] || {
    log "run_all.sh: error: no executable $perf_report"
    exit 1
}

defaults=()
[[ $given == *" --bin-dir "* ]] || defaults+=(--bin-dir "$bin")
[[ $given == *" --out "* ]] || defaults+=(--out "$out")
[[ $given == *" --python-dir "* ]] || defaults+=(--python-dir "$repo/python")
if ((info_only)); then
    exec "$perf_report" bench "${defaults[@]}" "${args[@]}"
fi

# Run the plan: progress on stderr, the results file's path on stdout.
results="$("$perf_report" bench "${defaults[@]}" "${args[@]}")"

# Render the report.
report_args=("$results" --out "$out" --machine "${results%.jsonl}.machine.json")
((update_readmes)) && report_args+=(--readmes "$repo/crates")
"$perf_report" "${report_args[@]}" || {
    log "run_all.sh: error: perf-report failed on $results"
    exit 1
}
log "report: $out/README.md"
