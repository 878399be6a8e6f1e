#!/usr/bin/env bash
# shuibao set-up: installs the Debian 12 packages when missing, builds, then
#   ./setup.sh demo   runs the main job on the built-in default basin
#   ./setup.sh test   runs the whole test suite, then again under ASan and UBSan, then replays the
#                     fuzz corpus and fuzzes each parser for SB_FUZZ_SECONDS (30) (what CI runs)
#   ./setup.sh build  only installs and builds
set -euo pipefail

mode=${1:-build}
case "$mode" in demo|test|build) ;; *) echo "usage: $0 [demo|test|build]" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
build=${SB_BUILD_DIR:-$here/build}
jobs=$(nproc 2>/dev/null || echo 2)

# Everything the build, the tests and the Python post-processing need, from Debian 12 only.
packages=(gcc make cmake pkg-config petsc-dev libhdf5-openmpi-dev libopenmpi-dev openmpi-bin
          libcjson-dev hdf5-tools python3 python3-numpy python3-h5py valgrind
          netcdf-bin python3-netcdf4 python3-xarray python3-paraview python3-matplotlib
          clang libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: missing Debian packages: ${missing[*]}" >&2
    echo "setup.sh: run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Open MPI refuses to run as root unless told; oversubscription lets 4 ranks run on 2 cores.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1

mkdir -p "$build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build/cmake.log" 2>&1 || { cat "$build/cmake.log"; exit 1; }
cmake --build "$build" -j "$jobs"

case "$mode" in
  demo)
    start=$(date +%s%N)
    "$build/shuibao" mesh synth --cell-size 1000 --seed 1 -o "$build/default-basin.h5"
    mpiexec --oversubscribe -n "$jobs" "$build/shuibao" run "$here/scenarios/baseline.json" \
      --mesh "$build/default-basin.h5" -o "$build/baseline.h5"
    "$build/shuibao" compare "$build/baseline.h5"
    end=$(date +%s%N)
    echo "demo: done in $(( (end - start) / 1000000 )) ms; result in $build/baseline.h5"
    ;;
  test)
    cd "$build"
    ctest --output-on-failure -j "$jobs" --timeout 900
    # The suite built with AddressSanitizer and UndefinedBehaviorSanitizer: every unit, bad-input,
    # command-line, mesh and output test (error paths are where leaks hide), and the 2-rank storm
    # and module verifications (the 1-rank routing verification, minutes under -malloc_debug
    # alone, runs at 2 ranks here); the long multi-rank runs, restarts and the fault test ran
    # above (under ASan they took 25 of CI's 38 minutes). The 42 bad rasters and meshes run here at 2
    # ranks only (the error paths of both ranks; 1 rank adds 3.5 minutes of MPI start-ups under ASan).
    # valgrind's test is left out: the two tools do not mix. Open MPI's own start-up allocations are
    # suppressed.
    san="$build-sanitize"
    mkdir -p "$san"
    cmake -S "$here" -B "$san" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSB_SANITIZE=ON > "$san/cmake.log" 2>&1 || { cat "$san/cmake.log"; exit 1; }
    cmake --build "$san" -j "$jobs"
    cd "$san"
    ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
    LSAN_OPTIONS=suppressions="$here/tests/fuzz/lsan.supp":print_suppressions=0 \
      ctest --output-on-failure -j "$jobs" --timeout 900 -LE "valgrind|mpi|restart|fault" -E "^(unit[.]test_routing_verify)$"
    ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
    LSAN_OPTIONS=suppressions="$here/tests/fuzz/lsan.supp":print_suppressions=0 \
      ctest --output-on-failure -j "$jobs" --timeout 900 -R "^(run[.]storm_np2|routing[.]verify_np2|sediment[.]verify_np2|unit[.].*_np2)$"
    # libFuzzer harnesses of the scenario parser and the raster reader (docs/fuzzing.md): replay
    # the committed corpus, then fuzz each for SB_FUZZ_SECONDS, both at once on the cores.
    fz="$build-fuzz"
    mkdir -p "$fz"
    CC=clang cmake -S "$here" -B "$fz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSB_FUZZ=ON \
      -DSB_FUZZ_SECONDS="${SB_FUZZ_SECONDS:-30}" > "$fz/cmake.log" 2>&1 || { cat "$fz/cmake.log"; exit 1; }
    cmake --build "$fz" -j "$jobs" --target fuzz_scenario fuzz_raster
    cd "$fz"
    ctest --output-on-failure -j "$jobs" --timeout 900 -L fuzz
    ;;
esac
