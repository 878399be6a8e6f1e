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
