# Command-level tests: the shuibao program run as users run it, at 1, 2 and 4 ranks.
set(SB_REG ${CMAKE_BINARY_DIR}/regression)
file(MAKE_DIRECTORY ${SB_REG})
set(SB_RUNCASE ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/runcase.py --mpiexec ${MPIEXEC_EXECUTABLE})
set(SB_EXE $<TARGET_FILE:shuibao>)
set(SB_DATA ${SB_SHARED_DATA_DIR}/hanjiang)
set(SB_STORM ${CMAKE_SOURCE_DIR}/tests/regression/storm)

function(sb_test name labels)
  add_test(NAME ${name} COMMAND ${ARGN} WORKING_DIRECTORY ${SB_REG})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 900 ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endfunction()

# Help for every command.
foreach(cmd "--help" "mesh --help" "mesh synth --help" "mesh build --help" "run --help" "compare --help" "scenario --help" "calibrate --help")
  string(REPLACE " " ";" args "${cmd}")
  string(REPLACE " " "_" tname "${cmd}")
  string(REPLACE "--" "" tname "${tname}")
  sb_test(cli.help.${tname} cli ${SB_RUNCASE} -- ${SB_EXE} ${args})
endforeach()

# The default basin at 2 km, then the baseline storm on it at 1, 2 and 4 ranks.
sb_test(mesh.synth_2km mesh ${SB_RUNCASE} -- ${SB_EXE} mesh synth --cell-size 2000 --seed 1 -o ${SB_REG}/synth2km.h5)
set_tests_properties(mesh.synth_2km PROPERTIES FIXTURES_SETUP synth2km)
sb_test(mesh.synth_2km_check mesh ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_mesh.py ${SB_REG}/synth2km.h5 active-area=95000:0.05)
set_tests_properties(mesh.synth_2km_check PROPERTIES FIXTURES_REQUIRED synth2km)

foreach(np 1 2 4)
  sb_test(run.storm_np${np} mpi ${SB_RUNCASE} --np ${np} -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/storm_np${np}.h5 --quiet -malloc_debug -malloc_dump -options_left)
  set_tests_properties(run.storm_np${np} PROPERTIES FIXTURES_REQUIRED synth2km FIXTURES_SETUP storm_np${np} PROCESSORS ${np})
endforeach()
sb_test(run.storm_ranks_equal mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/compare_ranks.py ${SB_STORM} ${SB_REG}/storm_np1.h5 ${SB_REG}/storm_np2.h5 ${SB_REG}/storm_np4.h5)
set_tests_properties(run.storm_ranks_equal PROPERTIES FIXTURES_REQUIRED "storm_np1;storm_np2;storm_np4")
sb_test(compare.storm cli ${SB_RUNCASE} -- ${SB_EXE} compare ${SB_REG}/storm_np1.h5 ${SB_REG}/storm_np2.h5 --format md)
set_tests_properties(compare.storm PROPERTIES FIXTURES_REQUIRED "storm_np1;storm_np2")

# The real basin from the shared data (areas from SOURCES.md: derived 94,106 and 39,287 km²), its
# runs at 1, 2 and 4 ranks; each skipped (exit 77) with a message where the shared data is absent.
if(EXISTS ${SB_DATA}/dem/hanjiang_srtm30plus_0p02deg.asc)
  sb_test(mesh.build_hanjiang mesh ${SB_RUNCASE} -- ${SB_EXE} mesh build --dem ${SB_DATA}/dem/hanjiang_srtm30plus_0p02deg.asc --mask ${SB_DATA}/basin/hanjiang_basin_zones_0p02deg.asc --regions ${SB_DATA}/basin/hanjiang_basin_zones_0p02deg.asc --gauges ${SB_DATA}/basin/outlets.csv -o ${SB_REG}/hanjiang.h5)
  set_tests_properties(mesh.build_hanjiang PROPERTIES FIXTURES_SETUP hanjiang)
  sb_test(mesh.build_hanjiang_check mesh ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_mesh.py ${SB_REG}/hanjiang.h5 outlet=94106:0.02 ankang=39287:0.02)
  set_tests_properties(mesh.build_hanjiang_check PROPERTIES FIXTURES_REQUIRED hanjiang)
  foreach(np 1 2 4)
    sb_test(run.hanjiang_np${np} mpi ${SB_RUNCASE} --np ${np} -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/hanjiang.h5 -o ${SB_REG}/hanjiang_np${np}.h5 --quiet)
    set_tests_properties(run.hanjiang_np${np} PROPERTIES FIXTURES_REQUIRED hanjiang FIXTURES_SETUP hanjiang_np${np} PROCESSORS ${np})
  endforeach()
  sb_test(run.hanjiang_ranks_equal mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/compare_ranks.py ${CMAKE_SOURCE_DIR}/tests/regression/hanjiang ${SB_REG}/hanjiang_np1.h5 ${SB_REG}/hanjiang_np2.h5 ${SB_REG}/hanjiang_np4.h5)
  set_tests_properties(run.hanjiang_ranks_equal PROPERTIES FIXTURES_REQUIRED "hanjiang_np1;hanjiang_np2;hanjiang_np4")
else()
  foreach(t mesh.build_hanjiang mesh.build_hanjiang_check run.hanjiang_np1 run.hanjiang_np2 run.hanjiang_np4 run.hanjiang_ranks_equal)
    sb_test(${t} mesh ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/skip.py the shared data ${SB_DATA} is absent, see docs/hanjiang.md)
    set_tests_properties(${t} PROPERTIES SKIP_RETURN_CODE 77)
  endforeach()
endif()
# The real mesh with rivers, the sub-grid slope and classes from terrain (docs/hanjiang.md); skipped
# (exit 77) with a message where the shared data folder is absent.
sb_test(mesh.build_hanjiang_full mesh ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_hanjiang.py ${SB_EXE} ${SB_DATA} ${CMAKE_SOURCE_DIR}/scenarios/hanjiang-classes.json ${SB_REG}/hanjiang_full.h5)
set_tests_properties(mesh.build_hanjiang_full PROPERTIES SKIP_RETURN_CODE 77 FIXTURES_SETUP hanjiang_full)
# One calibrated year on that mesh, 2 ranks, with its assessment: runoff, Ankang's share and the
# sediment into the reservoir within the documented bands (docs/hanjiang.md, bands.json).
sb_test(run.hanjiang_year_np2 mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_hanjiang_year.py ${MPIEXEC_EXECUTABLE} ${SB_EXE} ${CMAKE_SOURCE_DIR}/tests/regression/hanjiang_year/scenario.json ${SB_REG}/hanjiang_full.h5 ${SB_REG}/hanjiang_year_np2.h5 ${CMAKE_SOURCE_DIR}/tests/regression/hanjiang_year/bands.json)
set_tests_properties(run.hanjiang_year_np2 PROPERTIES SKIP_RETURN_CODE 77 FIXTURES_REQUIRED hanjiang_full PROCESSORS 2)
sb_test(bad.build_subgrid_slope cli ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "--subgrid-slope: expected dem or d8, got horn" --absent ${SB_REG}/out_bad.build_subgrid_slope.h5 -- ${SB_EXE} mesh build --dem ${CMAKE_SOURCE_DIR}/tests/rasters/good_dem.asc --subgrid-slope horn -o ${SB_REG}/out_bad.build_subgrid_slope.h5)
sb_test(bad.build_classes_key cli ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "bad_classes.json: landuse.shares.forests: unknown key" --absent ${SB_REG}/out_bad.build_classes_key.h5 -- ${SB_EXE} mesh build --dem ${CMAKE_SOURCE_DIR}/tests/rasters/good_dem.asc --classes-from-terrain ${CMAKE_SOURCE_DIR}/tests/regression/hanjiang_mesh/bad_classes.json -o ${SB_REG}/out_bad.build_classes_key.h5)
sb_test(bad.build_reservoir_no_water cli ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "--reservoir-level: no active cell of land use water (7) lies at or below 170.00 m" --absent ${SB_REG}/out_bad.build_reservoir_no_water.h5 -- ${SB_EXE} mesh build --dem ${CMAKE_SOURCE_DIR}/tests/rasters/good_dem.asc --reservoir-level 170 -o ${SB_REG}/out_bad.build_reservoir_no_water.h5)
sb_test(bad.build_rivers_coordinate cli ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "bad_rivers.geojson: features[0].geometry.coordinates[1]: expected [x, y] numbers" --absent ${SB_REG}/out_bad.build_rivers_coordinate.h5 -- ${SB_EXE} mesh build --dem ${CMAKE_SOURCE_DIR}/tests/rasters/good_dem.asc --rivers ${CMAKE_SOURCE_DIR}/tests/regression/hanjiang_mesh/bad_rivers.geojson -o ${SB_REG}/out_bad.build_rivers_coordinate.h5)

# shuibao calibrate recovers a known multiplier (twin experiment, docs/calibration.md), 1/2/4 ranks.
foreach(np 1 2 4)
  sb_test(calibrate.twin_np${np} mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_calibrate.py ${MPIEXEC_EXECUTABLE} ${SB_EXE} ${np} ${CMAKE_SOURCE_DIR}/tests/regression/calibrate ${SB_REG}/calibrate_np${np})
  set_tests_properties(calibrate.twin_np${np} PROPERTIES PROCESSORS ${np})
endforeach()
# The same with the first runs side by side on sub-communicators (--groups).
sb_test(calibrate.groups_np2 mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_calibrate.py ${MPIEXEC_EXECUTABLE} ${SB_EXE} 2 ${CMAKE_SOURCE_DIR}/tests/regression/calibrate ${SB_REG}/calibrate_groups_np2 2)
sb_test(calibrate.groups_np4 mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_calibrate.py ${MPIEXEC_EXECUTABLE} ${SB_EXE} 4 ${CMAKE_SOURCE_DIR}/tests/regression/calibrate ${SB_REG}/calibrate_groups_np4 3)
set_tests_properties(calibrate.groups_np2 PROPERTIES PROCESSORS 2)
set_tests_properties(calibrate.groups_np4 PROPERTIES PROCESSORS 4)
# The same with sediment: ks_factor and the erodibility from runoff and sediment (docs/calibration.md),
# and bad targets for it: one line naming the targets file and the field, before any run.
foreach(np 1 2 4)
  sb_test(calibrate.sediment_twin_np${np} mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_calibrate.py ${MPIEXEC_EXECUTABLE} ${SB_EXE} ${np} ${CMAKE_SOURCE_DIR}/tests/regression/calibrate_sediment ${SB_REG}/calibrate_sediment_np${np})
  set_tests_properties(calibrate.sediment_twin_np${np} PROPERTIES PROCESSORS ${np})
endforeach()
set(SB_CALSED ${CMAKE_SOURCE_DIR}/tests/regression/calibrate_sediment)
foreach(np 1 2)
  foreach(case "both;calibrate_sediment/base;targets[1]: expected exactly one of runoff_m3_a (m3/a) and sediment_t_a (t/a), got both"
                "neither;calibrate_sediment/base;targets[1]: expected exactly one of runoff_m3_a (m3/a) and sediment_t_a (t/a), got neither"
                "sediment_off;calibrate/base;targets[1].sediment_t_a: the scenario"
                "erodibility_off;calibrate/base;parameters.erodibility: the scenario"
                "erodibility_max;calibrate_sediment/base;parameters.erodibility.max: 200. would take sediment.erodibility_factor beyond 100"
                "pet_off;calibrate/base;parameters.pet_factor: the scenario"
                "pet_max;calibrate_sediment/pet_base;parameters.pet_factor.max: 1.5 would take forcing.pet.factor beyond 2")
    list(GET case 0 bad)
    list(GET case 1 dir)
    list(GET case 2 msg)
    sb_test(bad.calibrate_${bad}_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "bad_${bad}.json: ${msg}" --absent ${SB_REG}/out_bad.calibrate_${bad}_np${np}.json --absent ${SB_REG}/out_bad.calibrate_${bad}_np${np}.json.candidate.json -- ${SB_EXE} calibrate ${CMAKE_SOURCE_DIR}/tests/regression/${dir}.json --targets ${SB_CALSED}/bad_${bad}.json -o ${SB_REG}/out_bad.calibrate_${bad}_np${np}.json)
  endforeach()
endforeach()

# Bad input on the command line: one line naming the file, non-zero exit, no output, 1 and 2 ranks.
foreach(np 1 2)
  sb_test(bad.mesh_missing_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr no-such-mesh.h5 --absent ${SB_REG}/out_bad.mesh_missing_np${np}.h5 -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/no-such-mesh.h5 -o ${SB_REG}/out_bad.mesh_missing_np${np}.h5)
  sb_test(bad.mesh_directory_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "is a directory" --absent ${SB_REG}/out_bad.mesh_directory_np${np}.h5 -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG} -o ${SB_REG}/out_bad.mesh_directory_np${np}.h5)
  sb_test(bad.mesh_not_hdf5_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "scenario.json: not an HDF5 file" --absent ${SB_REG}/out_bad.mesh_not_hdf5_np${np}.h5 -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_STORM}/scenario.json -o ${SB_REG}/out_bad.mesh_not_hdf5_np${np}.h5)
  sb_test(bad.output_unwritable_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "/no-such-dir/out.h5: cannot write" -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/no-such-dir/out.h5)
  set_tests_properties(bad.output_unwritable_np${np} PROPERTIES FIXTURES_REQUIRED synth2km)
  sb_test(bad.scenario_missing_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "no-such-scenario.json" --absent ${SB_REG}/out_bad.scenario_missing_np${np}.h5 -- ${SB_EXE} run ${SB_REG}/no-such-scenario.json -o ${SB_REG}/out_bad.scenario_missing_np${np}.h5)
  sb_test(bad.unknown_option_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "unknown option" -- ${SB_EXE} run ${SB_STORM}/scenario.json --frobnicate)
endforeach()
sb_test(bad.synth_cell_size cli ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "cell" --absent ${SB_REG}/out_bad.synth_cell_size.h5 -- ${SB_EXE} mesh synth --cell-size 50 -o ${SB_REG}/out_bad.synth_cell_size.h5)
sb_test(bad.build_dem_missing cli ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "no-such-dem.asc" --absent ${SB_REG}/out_bad.build_dem_missing.h5 -- ${SB_EXE} mesh build --dem ${SB_REG}/no-such-dem.asc -o ${SB_REG}/out_bad.build_dem_missing.h5)
sb_test(bad.unknown_command cli ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "frobnicate" -- ${SB_EXE} frobnicate)

# The scenario reference in scenarios/README.md is the one the program prints.
sb_test(scenario.reference_in_readme cli ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_reference.py ${SB_EXE} ${CMAKE_SOURCE_DIR}/scenarios/README.md)

# A small run is clean under valgrind memcheck: no invalid access, no use of uninitialised values,
# nothing definitely lost (Open MPI's own start-up allocations are suppressed in tests/valgrind.supp).
find_program(SB_VALGRIND valgrind)
if(SB_VALGRIND)
  sb_test(valgrind.run_short valgrind ${SB_VALGRIND} --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --suppressions=/usr/share/openmpi/openmpi-valgrind.supp --suppressions=${CMAKE_SOURCE_DIR}/tests/valgrind.supp ${SB_EXE} run ${SB_STORM}/short.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/valgrind_short.h5 --quiet)
  set_tests_properties(valgrind.run_short PROPERTIES FIXTURES_REQUIRED synth2km)
endif()

# The result opens in the readers users have: ncdump, xarray, h5py and ParaView (XDMF sidecar).
sb_test(output.readers output ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_readers.py ${SB_REG}/storm_np2.h5 ${SB_REG}/storm_np2.xmf)
set_tests_properties(output.readers PROPERTIES FIXTURES_REQUIRED storm_np2)

# Faults: SIGTERM/SIGINT stop a 2-rank run cleanly without a result but with a checkpoint that
# restarts to the uninterrupted result bit for bit; a NaN depth stops it naming the cell and keeps
# the bad state in a checkpoint; SIGKILL leaves only .partial files and an earlier result untouched.
sb_test(mesh.synth_1km mesh ${SB_RUNCASE} -- ${SB_EXE} mesh synth --cell-size 1000 --seed 1 -o ${SB_REG}/synth1km.h5)
set_tests_properties(mesh.synth_1km PROPERTIES FIXTURES_SETUP synth1km)
sb_test(fault.signals fault ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/signal_test.py ${MPIEXEC_EXECUTABLE} ${SB_EXE} ${CMAKE_SOURCE_DIR}/scenarios/baseline.json ${SB_REG}/synth2km.h5 ${SB_REG})
set_tests_properties(fault.signals PROPERTIES FIXTURES_REQUIRED synth2km RUN_SERIAL TRUE)
# A full disk during the run (-sb_fault_file_size_limit): one line, nothing left, an earlier
# result untouched, at 1 and 2 ranks.
foreach(np 1 2)
  sb_test(fault.disk_full_np${np} fault ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/disk_full.py ${MPIEXEC_EXECUTABLE} ${np} ${SB_EXE} ${CMAKE_SOURCE_DIR}/tests/regression/storm/short.json ${SB_REG}/synth2km.h5 ${SB_REG}/disk_full_np${np})
  set_tests_properties(fault.disk_full_np${np} PROPERTIES FIXTURES_REQUIRED synth2km PROCESSORS ${np})
  # Two runs writing the same result at once: the second stops, the first is unharmed.
  sb_test(fault.concurrent_output_np${np} fault ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/concurrent_output.py ${MPIEXEC_EXECUTABLE} ${np} ${SB_EXE} ${CMAKE_SOURCE_DIR}/tests/regression/vertical/scenario.json ${SB_REG}/synth2km.h5 ${SB_REG}/concurrent_np${np})
  set_tests_properties(fault.concurrent_output_np${np} PROPERTIES FIXTURES_REQUIRED synth2km PROCESSORS ${np})
endforeach()

# Checkpoint and restart (docs/output.md): the storm case with a checkpoint at 13 h on 1 and 2
# ranks, continued from it on the same rank count (bit for bit against the uninterrupted run, and
# writing checkpoints changes nothing) and on another (1 -> 2, 2 -> 4: to 1e-12 relative).
set(SB_COMPARE ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/compare_results.py)
set(SB_RESTART ${CMAKE_SOURCE_DIR}/tests/regression/restart)
foreach(np 1 2)
  sb_test(restart.checkpoint_np${np} restart ${SB_RUNCASE} --np ${np} -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/ck_np${np}.h5 --quiet --checkpoint-every 13h -malloc_debug -malloc_dump -options_left)
  set_tests_properties(restart.checkpoint_np${np} PROPERTIES FIXTURES_REQUIRED synth2km FIXTURES_SETUP ck_np${np} PROCESSORS ${np})
  sb_test(restart.checkpoint_changes_nothing_np${np} restart ${SB_COMPARE} ${SB_REG}/storm_np${np}.h5 ${SB_REG}/ck_np${np}.h5)
  set_tests_properties(restart.checkpoint_changes_nothing_np${np} PROPERTIES FIXTURES_REQUIRED "ck_np${np};storm_np${np}")
endforeach()
foreach(pair "1;1" "2;2" "1;2" "2;4")
  list(GET pair 0 from)
  list(GET pair 1 to)
  sb_test(restart.run_np${from}_to_np${to} restart ${SB_RUNCASE} --np ${to} -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/restarted_np${from}_np${to}.h5 --quiet --restart ${SB_REG}/ck_np${from}.ckpt.h5 -malloc_debug -malloc_dump -options_left)
  set_tests_properties(restart.run_np${from}_to_np${to} PROPERTIES FIXTURES_REQUIRED "synth2km;ck_np${from}" FIXTURES_SETUP restarted_np${from}_np${to} PROCESSORS ${to})
  if(from EQUAL to)
    set(tol "")
  else()
    set(tol --rtol 1e-12)
  endif()
  sb_test(restart.equal_np${from}_to_np${to} restart ${SB_COMPARE} ${SB_REG}/storm_np${from}.h5 ${SB_REG}/restarted_np${from}_np${to}.h5 ${tol})
  set_tests_properties(restart.equal_np${from}_to_np${to} PROPERTIES FIXTURES_REQUIRED "storm_np${from};restarted_np${from}_np${to}")
endforeach()
# The checkpoint API at 2 and 3 ranks (unit.test_checkpoint runs it at 1): round trip, a read on
# one rank of what all wrote, identity errors.
foreach(np 2 3)
  sb_test(restart.api_np${np} restart ${SB_RUNCASE} --np ${np} -- $<TARGET_FILE:test_checkpoint> -malloc_debug -malloc_dump)
  set_tests_properties(restart.api_np${np} PROPERTIES PROCESSORS ${np})
endforeach()
# Continuing the storm case under a longer period: one more step of output past 24 h, the first
# 24 h as in the storm case.
sb_test(restart.longer restart ${SB_RUNCASE} -- ${SB_EXE} run ${SB_RESTART}/longer.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/restarted_longer.h5 --quiet --restart ${SB_REG}/ck_np1.ckpt.h5)
set_tests_properties(restart.longer PROPERTIES FIXTURES_REQUIRED "synth2km;ck_np1" FIXTURES_SETUP restarted_longer)
sb_test(restart.longer_equal restart ${SB_COMPARE} ${SB_REG}/storm_np1.h5 ${SB_REG}/restarted_longer.h5 --prefix)
set_tests_properties(restart.longer_equal PROPERTIES FIXTURES_REQUIRED "storm_np1;restarted_longer")
# Map segments: each checkpoint adds only the slices since the last; a continued run takes the
# series over; restarts read segments of several runs bit for bit; missing or foreign segments fail.
sb_test(restart.segments restart ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/restart_segments.py ${MPIEXEC_EXECUTABLE} ${SB_EXE} ${CMAKE_SOURCE_DIR}/tests/regression ${SB_REG}/synth2km.h5 ${SB_REG} ${SB_REG}/storm_np2.h5)
set_tests_properties(restart.segments PROPERTIES FIXTURES_REQUIRED "synth2km;storm_np2" PROCESSORS 2)
# Bad restarts: one line naming the file and what differs, non-zero exit, no result, 1 and 2 ranks.
sb_test(mesh.synth_2km_seed2 mesh ${SB_RUNCASE} -- ${SB_EXE} mesh synth --cell-size 2000 --seed 2 -o ${SB_REG}/synth2km_seed2.h5)
set_tests_properties(mesh.synth_2km_seed2 PROPERTIES FIXTURES_SETUP synth2km_seed2)
foreach(np 1 2)
  sb_test(bad.restart_missing_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "no-such.ckpt.h5: cannot open the checkpoint" --absent ${SB_REG}/out_bad.restart_missing_np${np}.h5 -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/out_bad.restart_missing_np${np}.h5 --restart ${SB_REG}/no-such.ckpt.h5)
  set_tests_properties(bad.restart_missing_np${np} PROPERTIES FIXTURES_REQUIRED synth2km)
  sb_test(bad.restart_not_checkpoint_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "synth2km.h5: not a shuibao checkpoint" --absent ${SB_REG}/out_bad.restart_not_checkpoint_np${np}.h5 -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/out_bad.restart_not_checkpoint_np${np}.h5 --restart ${SB_REG}/synth2km.h5)
  set_tests_properties(bad.restart_not_checkpoint_np${np} PROPERTIES FIXTURES_REQUIRED synth2km)
  sb_test(bad.restart_other_mesh_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "ck_np1.ckpt.h5: checkpoint of another mesh" --fail-substr "different contents" --absent ${SB_REG}/out_bad.restart_other_mesh_np${np}.h5 -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/synth2km_seed2.h5 -o ${SB_REG}/out_bad.restart_other_mesh_np${np}.h5 --restart ${SB_REG}/ck_np1.ckpt.h5)
  set_tests_properties(bad.restart_other_mesh_np${np} PROPERTIES FIXTURES_REQUIRED "synth2km_seed2;ck_np1")
  sb_test(bad.restart_other_grid_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "ck_np1.ckpt.h5: checkpoint of another mesh" --fail-substr "has 280 x 140 cells" --absent ${SB_REG}/out_bad.restart_other_grid_np${np}.h5 -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/synth1km.h5 -o ${SB_REG}/out_bad.restart_other_grid_np${np}.h5 --restart ${SB_REG}/ck_np1.ckpt.h5)
  set_tests_properties(bad.restart_other_grid_np${np} PROPERTIES FIXTURES_REQUIRED "synth1km;ck_np1")
  sb_test(bad.restart_other_scenario_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "ck_np1.ckpt.h5: checkpoint of another scenario: routing.manning_n_overland (the checkpoint's scenario leaves it at its default) differs" --absent ${SB_REG}/out_bad.restart_other_scenario_np${np}.h5 -- ${SB_EXE} run ${SB_RESTART}/other_manning.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/out_bad.restart_other_scenario_np${np}.h5 --restart ${SB_REG}/ck_np1.ckpt.h5)
  set_tests_properties(bad.restart_other_scenario_np${np} PROPERTIES FIXTURES_REQUIRED "synth2km;ck_np1")
  sb_test(bad.restart_past_end_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "ck_np1.ckpt.h5: checkpoint at t = 13 h, past the end of the scenario (time.duration_h = 12)" --absent ${SB_REG}/out_bad.restart_past_end_np${np}.h5 -- ${SB_EXE} run ${SB_RESTART}/shorter.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/out_bad.restart_past_end_np${np}.h5 --restart ${SB_REG}/ck_np1.ckpt.h5)
  set_tests_properties(bad.restart_past_end_np${np} PROPERTIES FIXTURES_REQUIRED "synth2km;ck_np1")
endforeach()
sb_test(bad.restart_other_scheme bad ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "ck_np1.ckpt.h5: checkpoint of another run: routing_scheme is \"local-inertial\" in the checkpoint, \"diffusive-wave\" in this run" --absent ${SB_REG}/out_bad.restart_other_scheme.h5 -- ${SB_EXE} run ${SB_STORM}/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/out_bad.restart_other_scheme.h5 --restart ${SB_REG}/ck_np1.ckpt.h5 -sb_routing_scheme diffusive-wave)
set_tests_properties(bad.restart_other_scheme PROPERTIES FIXTURES_REQUIRED "synth2km;ck_np1")
sb_test(bad.checkpoint_every cli ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "--checkpoint-every: expected a positive simulated time with a unit" --fail-substr "\"6 hours\"" --absent ${SB_REG}/out_bad.checkpoint_every.h5 -- ${SB_EXE} run ${SB_STORM}/scenario.json -o ${SB_REG}/out_bad.checkpoint_every.h5 --checkpoint-every "6 hours")

# compare --figures: hydrographs, maximum-depth maps and differences as PNG.
sb_test(compare.figures output ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_figures.py ${SB_EXE} ${SB_REG}/figures ${SB_REG}/storm_np1.h5 ${SB_REG}/storm_np2.h5 ${SB_REG}/assessment_np1.h5 ${SB_REG}/assessment_r2.h5)
set_tests_properties(compare.figures PROPERTIES FIXTURES_REQUIRED "storm_np1;storm_np2;assessment_np1;assessment_r2")
sb_test(bad.figures_of_a_mesh bad ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "--figures needs result files" -- ${SB_EXE} compare ${SB_REG}/synth2km.h5 --figures ${SB_REG}/figures_bad)
set_tests_properties(bad.figures_of_a_mesh PROPERTIES FIXTURES_REQUIRED synth2km)

# Surface routing verification (docs/routing.md): V-catchment, kinematic plane and moving front,
# both schemes, at 2 and 4 ranks (1 rank: unit.test_routing_verify); each case is also run on rank
# 0 alone and the two must agree to round-off.
foreach(np 2 4)
  sb_test(routing.verify_np${np} mpi ${SB_RUNCASE} --np ${np} -- $<TARGET_FILE:test_routing_verify>)
  set_tests_properties(routing.verify_np${np} PROPERTIES PROCESSORS ${np})
endforeach()

# Annual assessment (docs/assessment.md): D8 flow-path operations, IC, SDR and sediment export at
# 1, 2 and 4 ranks against a serial reference to 1e-12; the assessment scenario on the 2 km basin.
foreach(np 1 2 4)
  sb_test(assessment.d8_np${np} mpi ${SB_RUNCASE} --np ${np} -- $<TARGET_FILE:test_d8> -malloc_debug -malloc_dump)
  set_tests_properties(assessment.d8_np${np} PROPERTIES PROCESSORS ${np})
  sb_test(assessment.run_np${np} mpi ${SB_RUNCASE} --np ${np} -- ${SB_EXE} run ${CMAKE_SOURCE_DIR}/scenarios/assessment.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/assessment_np${np}.h5 --quiet -malloc_debug -malloc_dump)
  set_tests_properties(assessment.run_np${np} PROPERTIES FIXTURES_REQUIRED synth2km FIXTURES_SETUP assessment_np${np} PROCESSORS ${np})
endforeach()

# shuibao compare in md, csv and json against known answers (tests/regression/check_compare.py):
# the assessment with twice the erosivity doubles every soil loss and sediment export.
sb_test(assessment.run_r2 mpi ${SB_RUNCASE} --np 2 -- ${SB_EXE} run ${CMAKE_SOURCE_DIR}/tests/regression/assessment_r2/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/assessment_r2.h5 --quiet)
set_tests_properties(assessment.run_r2 PROPERTIES FIXTURES_REQUIRED synth2km FIXTURES_SETUP assessment_r2 PROCESSORS 2)
sb_test(compare.assessment output ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_compare.py ${SB_EXE} ${SB_REG}/assessment_np1.h5 ${SB_REG}/assessment_r2.h5 ${SB_REG}/storm_np1.h5)
set_tests_properties(compare.assessment PROPERTIES FIXTURES_REQUIRED "assessment_np1;assessment_r2;storm_np1")

# The bad-input corpus (tests/rasters/bad and meshes damaged one field at a time from the 2 km
# basin): one line naming file and field, non-zero exit, no output, no rank hanging.
# At 2 ranks only since the calibrated year joined the suite (the 1-rank run took 106 s of MPI
# start-ups; 2 ranks cover the error path of every rank, and the sanitizer stage runs it too).
foreach(np 2)
  sb_test(bad.inputs_np${np} bad ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/bad_inputs.py --np ${np} --mpiexec ${MPIEXEC_EXECUTABLE} --exe ${SB_EXE} --scenario ${SB_STORM}/scenario.json --good-mesh ${SB_REG}/synth2km.h5 --workdir ${SB_REG})
  set_tests_properties(bad.inputs_np${np} PROPERTIES FIXTURES_REQUIRED synth2km PROCESSORS ${np})
endforeach()

# The time loop's runs of active cells and their halo (engine/cellruns.c, engine/halo.c) against
# a loop over the block and DMGlobalToLocal / DMLocalToLocal, at 2, 4 and 6 ranks (6: a 3 x 2
# process grid, ghosts across corners); unit.test_halo runs it at 1.
foreach(np 2 4 6)
  sb_test(unit.test_halo_np${np} mpi ${SB_RUNCASE} --np ${np} -- $<TARGET_FILE:test_halo> -malloc_debug -malloc_dump)
  set_tests_properties(unit.test_halo_np${np} PROPERTIES PROCESSORS ${np})
endforeach()

# Forcing (docs/hydrology.md, "Forcing"): the forcing unit test at 2 ranks (gauge weights on a split
# grid); gauge rain from a CSV (the one rain that varies per cell) and the design storm of
# scenarios/design-storm.json (its volume is the IDF depth) at 1, 2 and 4 ranks.
sb_test(unit.test_forcing_np2 mpi ${SB_RUNCASE} --np 2 -- $<TARGET_FILE:test_forcing> -malloc_debug -malloc_dump)
set_tests_properties(unit.test_forcing_np2 PROPERTIES PROCESSORS 2)
foreach(case gauges design)
  if(case STREQUAL "gauges")
    set(dir ${CMAKE_SOURCE_DIR}/tests/regression/forcing)
  else()
    set(dir ${CMAKE_SOURCE_DIR}/tests/regression/design)
  endif()
  foreach(np 1 2 4)
    sb_test(run.${case}_np${np} mpi ${SB_RUNCASE} --np ${np} -- ${SB_EXE} run ${dir}/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/${case}_np${np}.h5 --quiet -malloc_debug -malloc_dump)
    set_tests_properties(run.${case}_np${np} PROPERTIES FIXTURES_REQUIRED synth2km FIXTURES_SETUP ${case}_np${np} PROCESSORS ${np})
  endforeach()
  sb_test(run.${case}_ranks_equal mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/compare_ranks.py ${dir} ${SB_REG}/${case}_np1.h5 ${SB_REG}/${case}_np2.h5 ${SB_REG}/${case}_np4.h5)
  set_tests_properties(run.${case}_ranks_equal PROPERTIES FIXTURES_REQUIRED "${case}_np1;${case}_np2;${case}_np4")
endforeach()
# `scenario check` and `run` read the rain CSV before any computation: one line naming file, line, column.
sb_test(bad.rain_csv_check bad ${SB_RUNCASE} --expect-error --timeout 60 --fail-substr "bad.csv: line 4, column 3 (gauge 2): expected a finite number, got \"NaN\"" -- ${SB_EXE} scenario check ${CMAKE_SOURCE_DIR}/tests/regression/forcing/bad_csv.json)
foreach(np 1 2)
  sb_test(bad.rain_csv_run_np${np} bad ${SB_RUNCASE} --np ${np} --expect-error --timeout 60 --fail-substr "bad.csv: line 4, column 3 (gauge 2)" --absent ${SB_REG}/bad_csv_out.h5 -- ${SB_EXE} run ${CMAKE_SOURCE_DIR}/tests/regression/forcing/bad_csv.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/bad_csv_out.h5)
  set_tests_properties(bad.rain_csv_run_np${np} PROPERTIES FIXTURES_REQUIRED synth2km)
endforeach()

# The assessment of every calendar year of a run of 26 months on a small basin, with a restart from
# mid-year, against a recomputation of R and assessment-mode runs (check_assessment_years.py).
foreach(np 1 2 4)
  sb_test(assessment.years_np${np} mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_assessment_years.py ${SB_EXE} ${MPIEXEC_EXECUTABLE} ${SB_REG} ${np})
  set_tests_properties(assessment.years_np${np} PROPERTIES PROCESSORS ${np})
endforeach()
set_tests_properties(assessment.years_np1 PROPERTIES FIXTURES_SETUP assessment_years_np1)
set_tests_properties(assessment.years_np2 assessment.years_np4 PROPERTIES FIXTURES_REQUIRED assessment_years_np1)
# B from vegetation cover and the mesh's sub-grid slope in the assessment, and their bad values
# (tests/regression/check_cover.py).
foreach(np 1 2 4)
  sb_test(assessment.cover_np${np} mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_cover.py ${SB_EXE} ${SB_REG}/synth2km.h5 ${CMAKE_SOURCE_DIR}/scenarios/assessment.json ${SB_REG} ${np} ${MPIEXEC_EXECUTABLE})
  set_tests_properties(assessment.cover_np${np} PROPERTIES FIXTURES_REQUIRED synth2km PROCESSORS ${np})
endforeach()
# R and K maps of the assessment against known answers, and bad maps (tests/regression/check_maps.py).
foreach(np 1 2)
  sb_test(assessment.maps_np${np} mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_maps.py ${SB_EXE} ${SB_REG}/synth2km.h5 ${CMAKE_SOURCE_DIR}/scenarios/assessment.json ${SB_REG} ${np} ${MPIEXEC_EXECUTABLE})
  set_tests_properties(assessment.maps_np${np} PROPERTIES FIXTURES_REQUIRED synth2km PROCESSORS ${np})
endforeach()

# Vertical water balance (docs/hydrology.md): four days with interception, Green-Ampt recovery,
# soil water, groundwater and evapotranspiration at 1, 2 and 4 ranks; every budget term present,
# the budget closed with all of them, and the ranks equal.
set(SB_VERTICAL ${CMAKE_SOURCE_DIR}/tests/regression/vertical)
foreach(np 1 2 4)
  sb_test(run.vertical_np${np} mpi ${SB_RUNCASE} --np ${np} -- ${SB_EXE} run ${SB_VERTICAL}/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/vertical_np${np}.h5 --quiet -malloc_debug -malloc_dump -options_left)
  set_tests_properties(run.vertical_np${np} PROPERTIES FIXTURES_REQUIRED synth2km FIXTURES_SETUP vertical_np${np} PROCESSORS ${np})
endforeach()
sb_test(run.vertical_ranks_equal mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/compare_ranks.py ${SB_VERTICAL} ${SB_REG}/vertical_np1.h5 ${SB_REG}/vertical_np2.h5 ${SB_REG}/vertical_np4.h5)
set_tests_properties(run.vertical_ranks_equal PROPERTIES FIXTURES_REQUIRED "vertical_np1;vertical_np2;vertical_np4")

# Treatment measures (docs/measures.md): areas treated match the requests within half a cell and
# the same cells are chosen at 1, 2 and 4 ranks; exhausted eligibility reported; measure effects
# against CSLE soil loss by hand; bad libraries and lists; the scenario set resolves; ensembles of
# 3 scenarios on 3 and 6 ranks equal the separate runs.
foreach(mode areas exhausted hand bad)
  sb_test(measures.${mode} mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_measures.py ${mode} ${SB_EXE} ${SB_REG}/synth2km.h5 ${SB_REG}/measures_${mode} ${MPIEXEC_EXECUTABLE})
  set_tests_properties(measures.${mode} PROPERTIES FIXTURES_REQUIRED synth2km PROCESSORS 2)
endforeach()
foreach(s plan-baseline plan-2025 plan-2035 alt-terraces-first alt-vegetation-first alt-check-dams)
  sb_test(measures.scenario_${s} cli ${SB_RUNCASE} -- ${SB_EXE} scenario check ${CMAKE_SOURCE_DIR}/scenarios/${s}.json)
endforeach()
sb_test(measures.ensemble mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_ensemble.py ${SB_EXE} ${SB_REG}/synth2km.h5 ${SB_REG}/ensemble ${MPIEXEC_EXECUTABLE} ${CMAKE_SOURCE_DIR}/scenarios/plan-baseline.json ${CMAKE_SOURCE_DIR}/scenarios/plan-2025.json ${CMAKE_SOURCE_DIR}/scenarios/alt-check-dams.json)
set_tests_properties(measures.ensemble PROPERTIES FIXTURES_REQUIRED synth2km PROCESSORS 6)
sb_test(cli.help.ensemble cli ${SB_RUNCASE} -- ${SB_EXE} ensemble --help)

# Erosion and sediment transport (docs/sediment.md): the verification cases of
# tests/unit/test_sediment.c at 2 and 4 ranks (1 rank: unit.test_sediment), and a 100 mm / 24 h
# storm on the 2 km default basin at 1, 2 and 4 ranks: budget closure, equal results, the
# reservoir's trap efficiency (malloc_debug at 1 rank only: the storm is the longest sediment
# run); the 2-rank run writes a checkpoint at 13 h, from which a 2-rank restart must give the same
# file bit for bit.
foreach(np 2 4)
  sb_test(sediment.verify_np${np} mpi ${SB_RUNCASE} --np ${np} -- $<TARGET_FILE:test_sediment> -malloc_debug -malloc_dump)
  set_tests_properties(sediment.verify_np${np} PROPERTIES PROCESSORS ${np})
endforeach()
set(SB_SED_OPTS_1 -malloc_debug -malloc_dump)
set(SB_SED_OPTS_2 --checkpoint-every 13h)
set(SB_SED_OPTS_4)
foreach(np 1 2 4)
  sb_test(sediment.storm_np${np} mpi ${SB_RUNCASE} --np ${np} -- ${SB_EXE} run ${CMAKE_SOURCE_DIR}/tests/regression/sediment/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/sediment_np${np}.h5 --quiet ${SB_SED_OPTS_${np}} -options_left)
  set_tests_properties(sediment.storm_np${np} PROPERTIES FIXTURES_REQUIRED synth2km FIXTURES_SETUP sediment_np${np} PROCESSORS ${np})
endforeach()
sb_test(sediment.restart_np2 restart ${SB_RUNCASE} --np 2 -- ${SB_EXE} run ${CMAKE_SOURCE_DIR}/tests/regression/sediment/scenario.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/sediment_restarted_np2.h5 --quiet --restart ${SB_REG}/sediment_np2.ckpt.h5 -options_left)
set_tests_properties(sediment.restart_np2 PROPERTIES FIXTURES_REQUIRED "synth2km;sediment_np2" FIXTURES_SETUP sediment_restarted_np2 PROCESSORS 2)
sb_test(sediment.restart_equal_np2 restart ${SB_COMPARE} ${SB_REG}/sediment_np2.h5 ${SB_REG}/sediment_restarted_np2.h5)
set_tests_properties(sediment.restart_equal_np2 PROPERTIES FIXTURES_REQUIRED "sediment_np2;sediment_restarted_np2")
sb_test(sediment.figures output ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_figures.py ${SB_EXE} ${SB_REG}/figures_sediment ${SB_REG}/sediment_np1.h5 ${SB_REG}/sediment_np2.h5)
set_tests_properties(sediment.figures PROPERTIES FIXTURES_REQUIRED "sediment_np1;sediment_np2")
# ... and its maps of detachment, deposition and net erosion against the budget, across ranks, in
# ncdump, the XDMF sidecar and ParaView; none in a run without sediment.
sb_test(sediment.storm_check mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_sediment.py ${SB_REG}/sediment_np1.h5 ${SB_REG}/sediment_np2.h5 ${SB_REG}/sediment_np4.h5 --without ${SB_REG}/storm_np1.h5)
set_tests_properties(sediment.storm_check PROPERTIES FIXTURES_REQUIRED "sediment_np1;sediment_np2;sediment_np4;storm_np1")
# shuibao compare of two time-loop sediment runs (6 h, without and with check dams) in md, csv and
# json against the files read with h5py (tests/regression/check_compare.py --sediment).
foreach(case base dams)
  sb_test(sediment.compare_run_${case} mpi ${SB_RUNCASE} -- ${SB_EXE} run ${CMAKE_SOURCE_DIR}/tests/regression/sediment/compare_${case}.json --mesh ${SB_REG}/synth2km.h5 -o ${SB_REG}/sediment_compare_${case}.h5 --quiet -options_left)
  set_tests_properties(sediment.compare_run_${case} PROPERTIES FIXTURES_REQUIRED synth2km FIXTURES_SETUP sediment_compare_${case})
endforeach()
sb_test(compare.sediment output ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_compare.py ${SB_EXE} --sediment ${SB_REG}/sediment_compare_base.h5 ${SB_REG}/sediment_compare_dams.h5)
set_tests_properties(compare.sediment PROPERTIES FIXTURES_REQUIRED "sediment_compare_base;sediment_compare_dams")

# Target-seeking plans (docs/measures.md): on the 2 km basin the plan is the same at 1, 2 and 4
# ranks and, run at 1, 2 and 4 ranks, meets its target with the report's rate and cost; on a tiny
# mesh its cost is within 5 % of the exhaustive optimum; unreachable targets, spent budgets and bad
# arguments give the documented exit statuses and messages.
foreach(mode synth small limits)
  sb_test(plan.${mode} mpi ${SB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/regression/check_plan.py ${mode} ${SB_EXE} ${SB_REG}/plan_${mode} ${SB_REG}/synth2km.h5 ${MPIEXEC_EXECUTABLE})
  set_tests_properties(plan.${mode} PROPERTIES FIXTURES_REQUIRED synth2km PROCESSORS 2)
endforeach()
sb_test(cli.help.plan cli ${SB_RUNCASE} -- ${SB_EXE} plan --help)
