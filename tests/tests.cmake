# Tests. Unit tests: tests/unit/test_<module>.c, one executable each, label "unit".
# MPI tests run the shuibao command at 1, 2 and 4 ranks, label "mpi".
set(SB_MPIEXEC ${MPIEXEC_EXECUTABLE} --oversubscribe)
set(SB_TEST_ENV "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;PETSC_OPTIONS=-malloc_debug -malloc_dump")
set(SB_PYTHON /usr/bin/python3)

file(GLOB SB_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(src ${SB_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE shuibao_lib)
  target_compile_definitions(${name} PRIVATE SB_SOURCE_DIR="${CMAKE_SOURCE_DIR}" SB_SHARED_DATA_DIR="${SB_SHARED_DATA_DIR}" SB_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME unit.${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 300 ENVIRONMENT "${SB_TEST_ENV}")
endforeach()

include(${CMAKE_SOURCE_DIR}/tests/regression/regression.cmake OPTIONAL)

# Fuzzing (docs/fuzzing.md): replay the committed corpus, then fuzz for SB_FUZZ_SECONDS each.
if(SB_FUZZ)
  set(SB_FUZZ_SECONDS 60 CACHE STRING "How long each fuzz test runs")
  foreach(h scenario raster)
    add_executable(fuzz_${h} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${h}.c)
    target_link_libraries(fuzz_${h} PRIVATE shuibao_lib)
    target_link_options(fuzz_${h} PRIVATE -fsanitize=fuzzer)
    set(corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${h})
    add_test(NAME fuzz.${h}.replay COMMAND fuzz_${h} -runs=0 ${corpus})
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz/${h})
    add_test(NAME fuzz.${h}.run COMMAND fuzz_${h} -max_total_time=${SB_FUZZ_SECONDS} -timeout=10 -rss_limit_mb=4096 ${CMAKE_BINARY_DIR}/fuzz/${h} ${corpus})
    set_tests_properties(fuzz.${h}.replay fuzz.${h}.run PROPERTIES LABELS fuzz ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0;LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/fuzz/lsan.supp:print_suppressions=0")
  endforeach()
endif()
