/* Scenario files: good ones load with the expected values; every bad one fails with
   PETSC_ERR_USER_INPUT and a one-line message naming the file and the JSON path, the same on every
   rank. Also checks that scenarios/README.md holds the reference exactly as printed. */
#include "scenario.h"
#include "sbtest.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef SB_SOURCE_DIR
  #error "SB_SOURCE_DIR (the source tree) must be defined"
#endif

#define GOOD SB_SOURCE_DIR "/tests/scenarios/good/"
#define BAD  SB_SOURCE_DIR "/tests/scenarios/bad/"

/* Each bad file and a substring of its message: always "<file>: <JSON path or line, column>: ..." */
static const struct {
  const char *file, *expect;
} BadCases[] = {
  {"syntax_trailing_comma.json", "syntax_trailing_comma.json: line 3, column 29: JSON syntax error: expected a key in double quotes, got '}' (a comma before a closing bracket)"},
  {"syntax_js_comment.json", "syntax_js_comment.json: line 3, column 3: JSON syntax error: expected a key in double quotes, got '// a JavaScript ' (JSON has no comments; write \"//\": \"...\" keys instead)"},
  {"syntax_single_quotes.json", "syntax_single_quotes.json: line 2, column 3: JSON syntax error: expected a key in double quotes, got a single quote (JSON strings take double quotes)"},
  {"syntax_missing_colon.json", "syntax_missing_colon.json: line 2, column 10: JSON syntax error: expected ':', got '\"basin.h5\"'"},
  {"syntax_bad_literal.json", "syntax_bad_literal.json: line 3, column 22: JSON syntax error: expected a value, got 'tru'"},
  {"syntax_trailing_text.json", "syntax_trailing_text.json: line 4, column 1: JSON syntax error: expected the end of the file after the top-level value, got '}'"},
  {"syntax_bad_escape.json", "syntax_bad_escape.json: line 2, column 15: JSON syntax error: expected an escape character after '\\', got 'data' (write a backslash in a string as \\\\, or use / in paths)"},
  {"syntax_missing_comma.json", "syntax_missing_comma.json: line 3, column 3: JSON syntax error: expected ',' or '}', got '\"time\"'"},
  {"truncated.json", "truncated.json: line 4, column 39: expected ']' to close the '[' from line 4, column 34, got the end of the file"},
  {"truncated_string.json", "truncated_string.json: line 3, column 32: expected '\"' to close the string from line 3, column 18, got the end of the file"},
  {"empty.json", "empty.json: (root): expected a JSON object, got an empty file"},
  {"blank.json", "blank.json: (root): expected a JSON object, got an empty file"},
  {"utf16.json", "utf16.json: line 1, column 1: expected UTF-8 text, got a UTF-16 or UTF-32 byte-order mark"},
  {"nul_byte.json", "nul_byte.json: line 3, column 20: JSON syntax error: expected a character or an escape such as \\n, got a NUL byte"},
  {"root_array.json", "root_array.json: (root): expected an object, got an array of 2 values"},
  {"root_string.json", "root_string.json: (root): expected an object, got \"basin.h5\""},
  {"deep_nesting.json", "deep_nesting.json: line 3, column 81: expected objects and arrays nested at most 64 deep, got deeper"},
  {"unknown_root.json", "unknown_root.json: meshes: unknown key (did you mean \"mesh\"?)"},
  {"unknown_deep.json", "unknown_deep.json: forcing.rain.kind: unknown key, expected one of \"type\", \"time_h\", \"intensity_mm_h\""},
  {"unknown_typo.json", "unknown_typo.json: routing.manning_n_overlnd: unknown key (did you mean \"manning_n_overland\"?)"},
  {"unitless_duration.json", "unitless_duration.json: time.duration: unknown key (did you mean \"duration_h\"?)"},
  {"dotted_key.json", "dotted_key.json: [\"time.duration_h\"]: unknown key, expected nested objects for \"time.duration_h\" ({\"time\": {...}})"},
  {"wrong_unit.json", "wrong_unit.json: output.interval_s: unknown key (did you mean \"interval_min\"?)"},
  {"type_string_for_number.json", "type_string_for_number.json: time.duration_h: expected a number in (0, 1000000] (h), got \"24 h\""},
  {"type_number_for_object.json", "type_number_for_object.json: routing: expected an object, got 5"},
  {"type_number_for_array.json", "type_number_for_array.json: forcing.rain.time_h: expected an array of 1 or more numbers >= 0 (h), got 6"},
  {"type_string_element.json", "type_string_element.json: forcing.rain.intensity_mm_h[2]: expected a number in [0, 500] (mm/h), got \"12\""},
  {"type_number_for_path.json", "type_number_for_path.json: mesh: expected a file path of 1 to 4095 characters, got 42"},
  {"type_null.json", "type_null.json: routing.cfl: expected a number in (0, 1], got null"},
  {"type_extends.json", "type_extends.json: extends: expected a file path of 1 to 4095 characters, got 5"},
  {"type_comment.json", "type_comment.json: routing[\"//\"]: expected a string (keys starting with \"//\" are comments), got 5"},
  {"cfl_above_max.json", "cfl_above_max.json: routing.cfl: expected a number in (0, 1], got 1.5"},
  {"cfl_zero_open_end.json", "cfl_zero_open_end.json: routing.cfl: expected a number in (0, 1], got 0"},
  {"theta_below_min.json", "theta_below_min.json: routing.theta: expected a number in [0, 1], got -0.1"},
  {"max_dt_above_max.json", "max_dt_above_max.json: routing.max_dt_s: expected a number in (0, 86400] (s), got 86400.5"},
  {"number_too_large.json", "number_too_large.json: routing.depth_threshold_m: expected a number in [0, 1] (m), got a number too large to represent"},
  {"interval_zero.json", "interval_zero.json: output.interval_min: expected a number > 0 (min), got 0"},
  {"intensity_negative.json", "intensity_negative.json: forcing.rain.intensity_mm_h[3]: expected a number in [0, 500] (mm/h), got -2"},
  {"intensity_above_max.json", "intensity_above_max.json: forcing.rain.intensity_mm_h[0]: expected a number in [0, 500] (mm/h), got 501"},
  {"time_negative.json", "time_negative.json: forcing.rain.time_h[0]: expected a number >= 0 (h), got -1"},
  {"duration_zero.json", "duration_zero.json: time.duration_h: expected a number in (0, 1000000] (h), got 0"},
  {"duration_negative.json", "duration_negative.json: time.duration_h: expected a number in (0, 1000000] (h), got -24"},
  {"enum_typo.json", "enum_typo.json: routing.scheme: expected one of \"local-inertial\", \"diffusive-wave\", got \"local_inertial\""},
  {"enum_rain_type.json", "enum_rain_type.json: forcing.rain.type: expected one of \"uniform\", \"gauges\", \"chicago\", \"alternating-block\", \"generator\", got \"Uniform\""},
  {"date_not_leap.json", "date_not_leap.json: time.start: expected a date-time \"YYYY-MM-DDThh:mm:ss\", got \"2021-02-29T00:00:00\""},
  {"date_format.json", "date_format.json: time.start: expected a date-time \"YYYY-MM-DDThh:mm:ss\", got \"2021-07-20 08:00\""},
  {"date_hour.json", "date_hour.json: time.start: expected a date-time \"YYYY-MM-DDThh:mm:ss\", got \"2021-07-20T24:00:00\""},
  {"rain_length_mismatch.json", "rain_length_mismatch.json: forcing.rain.intensity_mm_h: expected 5 values, one per forcing.rain.time_h, got 4"},
  {"pet_monthly_count.json", "pet_monthly_count.json: evapotranspiration.monthly_mm_d: expected 12 values (January to December), got 13"},
  {"pet_monthly_short.json", "pet_monthly_short.json: evapotranspiration.monthly_mm_d: expected an array of 12 or more numbers in [0, 30] (mm/d), got an array of 3 values"},
  {"rain_not_increasing.json", "rain_not_increasing.json: forcing.rain.time_h[2]: expected a number > 2 (times strictly increasing), got 2"},
  {"rain_first_time.json", "rain_first_time.json: forcing.rain.time_h[0]: expected 0 (the first rain step starts with the scenario), got 1"},
  {"rain_empty_array.json", "rain_empty_array.json: forcing.rain.time_h: expected an array of 1 or more numbers >= 0 (h), got an empty array"},
  {"missing_mesh.json", "missing_mesh.json: mesh: missing required key, expected a file path"},
  {"missing_duration.json", "missing_duration.json: time.duration_h: missing required key, expected a number in (0, 1000000] (h)"},
  {"missing_rain.json", "missing_rain.json: forcing.rain: missing required key, expected an object"},
  {"missing_intensity.json", "missing_intensity.json: forcing.rain.intensity_mm_h: missing required key"},
  {"name_empty.json", "name_empty.json: name: expected a string of 1 to 63 characters, got \"\""},
  {"duplicate_key.json", "duplicate_key.json: routing.cfl: duplicate key"},
  {"cycle_a.json", "bad/cycle_b.json: extends: expected a file not already in the chain, got a cycle: " BAD "cycle_a.json -> " BAD "cycle_b.json -> " BAD "cycle_a.json"},
  {"self_extends.json", "bad/self_extends.json: extends: expected a file not already in the chain, got a cycle: " BAD "self_extends.json -> " BAD "self_extends.json"},
  {"extends_missing.json", "bad/extends_missing.json: extends: cannot read file \"" BAD "no_such_parent.json\": No such file or directory"},
  {"extends_directory.json", "bad/extends_directory.json: extends: cannot read file \"" BAD "parents\": Is a directory"},
  {"extends_bad_parent.json", "bad/parents/bad_parent.json: routing.cfl: expected a number in (0, 1], got 2"},
  {"extends_mismatch.json", "bad/extends_mismatch.json: forcing.rain.intensity_mm_h: expected 3 values, one per forcing.rain.time_h, got 2"},
  /* forcing (engine/forcing.c, keys_forcing.inc) */
  {"gauges_missing.json", "gauges_missing.json: forcing.rain.gauges: missing required key for type gauges, expected an object"},
  {"gauges_y_count.json", "gauges_y_count.json: forcing.rain.gauges.y: expected 2 values (one per forcing.rain.gauges.x), got 1"},
  {"gauges_values.json", "gauges_values.json: forcing.rain.intensity_mm_h: expected 4 values, one per gauge (2) for each forcing.rain.time_h (2), got 3"},
  {"storm_missing.json", "storm_missing.json: forcing.rain.storm: missing required key for type chicago, expected an object"},
  {"storm_steps.json", "storm_steps.json: forcing.rain.storm.duration_h: expected a whole number of steps of step_min, got 1.05 h"},
  {"storm_c_one.json", "storm_c_one.json: forcing.rain.storm.idf_c: expected a number in [0, 1), got 1"},
  {"generator_months.json", "generator_months.json: forcing.rain.generator.p_wd: expected 12 values (January to December), got 13"},
  {"generator_missing_shape.json", "generator_missing_shape.json: forcing.rain.generator.gamma_shape: missing required key"},
  {"pet_missing_tmin.json", "pet_missing_tmin.json: forcing.pet.tmin_c: missing required key for method hargreaves unless forcing.pet.csv is given"},
  {"pet_tmax_below.json", "pet_tmax_below.json: forcing.pet.tmax_c[6]: expected a number >= tmin_c[6] = 24, got 22"},
  {"pet_monthly_missing.json", "pet_monthly_missing.json: forcing.pet.monthly_mm_d: missing required key for method monthly"},
  {"rain_csv_number.json", "rain_csv_number.json: forcing.rain.csv: expected a file path of 1 to 4095 characters, got 5"},
  /* exclusive keys (SB_KEY_ONE_OF): still conflicting after extends */
  {"oneof_two.json", "bad/oneof_two.json: assessment.rain.r_mj_mm_ha_h_a: expected at most one of daily_mm, daily_csv, r_mj_mm_ha_h_a, r_map, got also daily_mm"},
  {"oneof_inherited.json", "bad/parents/oneof_parent.json: assessment.rain.r_map: expected at most one of daily_mm, daily_csv, r_mj_mm_ha_h_a, r_map, got also daily_csv"},
  {"oneof_child_two.json", "bad/oneof_child_two.json: assessment.rain.r_map: expected at most one of daily_mm, daily_csv, r_mj_mm_ha_h_a, r_map, got also r_mj_mm_ha_h_a"},
};

/* Load path, expect PETSC_ERR_USER_INPUT with expect in a one-line message that is the same on all ranks. */
static PetscErrorCode ExpectError(MPI_Comm comm, const char *path, const char *expect, PetscInt *fails)
{
  Capture        c = {0, ""};
  char           first[sizeof(c.msg)];
  SbScenario    *sc = NULL;
  PetscErrorCode ierr;
  PetscMPIInt    rank;
  int            ok = 1, allok;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscPushErrorHandler(CaptureHandler, &c));
  ierr = SbScenarioLoad(comm, path, &sc);
  PetscCall(PetscPopErrorHandler());
  if (!ierr) {
    PetscCall(SbScenarioDestroy(&sc));
    snprintf(c.msg, sizeof(c.msg), "(loaded without error)");
    ok = 0;
  }
  if (c.code != PETSC_ERR_USER_INPUT || !strstr(c.msg, expect) || strchr(c.msg, '\n')) ok = 0;
  memcpy(first, c.msg, sizeof(first));
  PetscCallMPI(MPI_Bcast(first, (PetscMPIInt)sizeof(first), MPI_CHAR, 0, comm));
  if (strcmp(first, c.msg)) ok = 0;
  PetscCallMPI(MPI_Allreduce(&ok, &allok, 1, MPI_INT, MPI_MIN, comm));
  if (allok) PetscCall(PetscPrintf(comm, "ok   %s\n", c.msg));
  else {
    PetscCall(PetscSynchronizedPrintf(comm, "FAIL [rank %d] %s\n     expected: %s\n     got (code %d): %s\n", rank, path, expect, (int)c.code, c.msg));
    PetscCall(PetscSynchronizedFlush(comm, PETSC_STDOUT));
    (*fails)++;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define CHECK(cond) \
  do { \
    if (!(cond)) { \
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond)); \
      (*fails)++; \
    } \
  } while (0)

static PetscBool Close(PetscReal a, PetscReal b)
{
  return PetscAbsReal(a - b) <= 1e-12 * PetscMax(1.0, PetscAbsReal(b)) ? PETSC_TRUE : PETSC_FALSE;
}

/* The merged text parses back, has no "extends" and no comments. */
static PetscErrorCode CheckText(const SbScenario *sc, PetscInt *fails)
{
  cJSON *t;

  PetscFunctionBeginUser;
  CHECK(sc->text);
  t = cJSON_Parse(sc->text);
  CHECK(t && cJSON_IsObject(t));
  CHECK(!cJSON_GetObjectItemCaseSensitive(t, "extends"));
  CHECK(!strstr(sc->text, "\"//"));
  cJSON_Delete(t);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckDefaults(const SbScenario *sc, PetscInt *fails)
{
  PetscFunctionBeginUser;
  CHECK(sc->rain_type == SB_RAIN_UNIFORM);
  CHECK(sc->routing_scheme == SB_ROUTING_LOCAL_INERTIAL);
  CHECK(Close(sc->manning_n_overland, 0.10));
  CHECK(Close(sc->manning_n_channel, 0.035));
  CHECK(Close(sc->cfl, 0.7));
  CHECK(Close(sc->theta, 0.9));
  CHECK(Close(sc->max_dt_s, 300));
  CHECK(Close(sc->depth_threshold_m, 1e-4));
  CHECK(Close(sc->output_interval_s, 3600));
  CHECK(!strcmp(sc->output_file, "result.h5"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestGood(MPI_Comm comm, PetscInt *fails)
{
  SbScenario *sc;
  PetscReal   total_mm = 0;
  PetscInt    i;

  PetscFunctionBeginUser;
  PetscCall(SbScenarioLoad(comm, GOOD "minimal.json", &sc));
  CHECK(!strcmp(sc->path, GOOD "minimal.json"));
  CHECK(!strcmp(sc->name, "minimal"));
  CHECK(!strcmp(sc->description, ""));
  CHECK(!strcmp(sc->start, "2000-01-01T00:00:00"));
  CHECK(!strcmp(sc->mesh_path, GOOD "basin.h5"));
  CHECK(Close(sc->duration_s, 6 * 3600.0));
  CHECK(sc->nrain == 1 && sc->rain_time_s[0] == 0 && Close(sc->rain_mm_h[0], 10));
  PetscCall(CheckDefaults(sc, fails));
  PetscCall(CheckText(sc, fails));
  PetscCall(SbScenarioDestroy(&sc));
  CHECK(!sc);

  PetscCall(SbScenarioLoad(comm, GOOD "full.json", &sc));
  CHECK(!strcmp(sc->name, "full-2025"));
  CHECK(!strcmp(sc->description, "Every key set to a value other than its default"));
  CHECK(!strcmp(sc->mesh_path, "/srv/basins/han/mesh.h5")); /* absolute paths stay */
  CHECK(!strcmp(sc->start, "2024-02-29T23:59:59"));
  CHECK(Close(sc->duration_s, 36.5 * 3600));
  CHECK(sc->nrain == 4);
  if (sc->nrain == 4) {
    const PetscReal t[4] = {0, 1800, 10800, 36900}, r[4] = {0, 500, 12.5, 0};

    for (i = 0; i < 4; i++) CHECK(Close(sc->rain_time_s[i], t[i]) && Close(sc->rain_mm_h[i], r[i]));
  }
  CHECK(Close(sc->manning_n_overland, 1) && Close(sc->manning_n_channel, 0.03));
  CHECK(Close(sc->cfl, 1) && Close(sc->theta, 0) && Close(sc->max_dt_s, 86400) && sc->depth_threshold_m == 0);
  CHECK(Close(sc->output_interval_s, 900) && !strcmp(sc->output_file, "out/full.h5"));
  PetscCall(CheckText(sc, fails));
  PetscCall(SbScenarioDestroy(&sc));

  PetscCall(SbScenarioLoad(comm, GOOD "comments.json", &sc));
  CHECK(Close(sc->cfl, 0.5) && sc->nrain == 2 && Close(sc->duration_s, 7200));
  PetscCall(CheckText(sc, fails));
  PetscCall(SbScenarioDestroy(&sc));

  PetscCall(SbScenarioLoad(comm, GOOD "bom.json", &sc)); /* a UTF-8 byte-order mark is skipped */
  CHECK(Close(sc->duration_s, 3600) && sc->nrain == 1);
  PetscCall(SbScenarioDestroy(&sc));

  /* child -> base/parent -> base/grandparent: objects merge key by key, arrays are replaced whole,
     name and description are not inherited, mesh resolves against the file that set it */
  PetscCall(SbScenarioLoad(comm, GOOD "child.json", &sc));
  CHECK(!strcmp(sc->name, "child"));
  CHECK(!strcmp(sc->description, "child"));
  CHECK(!strcmp(sc->mesh_path, GOOD "base/meshes/basin.h5"));
  CHECK(!strcmp(sc->start, "2021-07-20T08:00:00"));
  CHECK(Close(sc->duration_s, 48 * 3600.0));
  CHECK(sc->nrain == 2 && Close(sc->rain_time_s[1], 3600) && Close(sc->rain_mm_h[0], 7));
  CHECK(Close(sc->cfl, 0.6) && Close(sc->theta, 0.9) && Close(sc->max_dt_s, 120) && Close(sc->manning_n_channel, 0.04) && Close(sc->manning_n_overland, 0.1));
  CHECK(Close(sc->output_interval_s, 1800) && !strcmp(sc->output_file, "child.h5"));
  PetscCall(CheckText(sc, fails));
  CHECK(strstr(sc->text, "\"description\":\t\"child\"") && !strstr(sc->text, "parent, not inherited") && !strstr(sc->text, "grandparent"));
  PetscCall(SbScenarioDestroy(&sc));

  /* forcing kinds: gauges from a CSV resolved against the scenario, PET; keys of other types kept */
  PetscCall(SbScenarioLoad(comm, GOOD "forcing_kinds.json", &sc));
  CHECK(sc->rain_type == SB_RAIN_GAUGES && !strcmp(sc->rain_csv, GOOD "rain/gauges.csv") && sc->nrain == 0);
  CHECK(sc->rain_ngauges == 3 && sc->rain_ngauges_y == 3 && Close(sc->rain_gauge_y[2], 3700000) && Close(sc->rain_idw_power, 1.5));
  CHECK(Close(sc->storm_duration_s, 7200) && Close(sc->storm_step_s, 600) && Close(sc->storm_start_s, 21600) && Close(sc->storm_b_min, 10));
  CHECK(sc->gen_seed == 42 && sc->gen_max_duration_h == 6 && sc->gen_n[3] == 12 && Close(sc->gen_mean_mm[6], 17));
  CHECK(sc->pet_present && sc->pet_method == SB_PET_HARGREAVES && Close(sc->pet_latitude_deg, 32.7) && sc->pet_ntmax == 12 && Close(sc->pet_tmax_c[6], 32));
  PetscCall(SbScenarioDestroy(&sc));
  PetscCall(SbScenarioLoad(comm, GOOD "storm_child.json", &sc));
  CHECK(sc->rain_type == SB_RAIN_CHICAGO && Close(sc->storm_peak, 0.4) && Close(sc->storm_step_s, 300) && sc->storm_start_s == 0 && !sc->pet_present);
  PetscCall(SbScenarioDestroy(&sc));

  /* exclusive keys: a file that sets one member of assessment.rain's group replaces its parent's */
  PetscCall(SbScenarioLoad(comm, GOOD "rain_choice.json", &sc));
  CHECK(Close(sc->as_r, 3500) && sc->as_ndaily == 0 && !sc->as_daily_csv[0] && !sc->as_r_map[0] && Close(sc->as_erosive_mm, 10) && Close(sc->as_tolerance_t_km2_a, 1000));
  CHECK(!strstr(sc->text, "daily_mm"));
  PetscCall(SbScenarioDestroy(&sc));
  PetscCall(SbScenarioLoad(comm, GOOD "rain_choice_keep.json", &sc));
  CHECK(sc->as_ndaily == 4 && Close(sc->as_daily_mm[1], 30) && sc->as_r == 0 && Close(sc->as_erosive_mm, 12.7));
  PetscCall(SbScenarioDestroy(&sc));
  PetscCall(SbScenarioLoad(comm, GOOD "rain_choice_grandchild.json", &sc));
  CHECK(!strcmp(sc->as_daily_csv, GOOD "rain/daily.csv") && sc->as_r == 0 && sc->as_ndaily == 0 && Close(sc->as_erosive_mm, 10));
  PetscCall(SbScenarioDestroy(&sc));

  /* the baseline: ~130 mm in 20 h, a heavy summer storm for the Han basin */
  PetscCall(SbScenarioLoad(comm, SB_SOURCE_DIR "/scenarios/baseline.json", &sc));
  CHECK(!strcmp(sc->name, "baseline"));
  CHECK(!strcmp(sc->mesh_path, SB_SOURCE_DIR "/scenarios/../build/default-basin.h5"));
  CHECK(Close(sc->duration_s, 24 * 3600.0) && Close(sc->output_interval_s, 3600));
  for (i = 0; i < sc->nrain; i++) total_mm += sc->rain_mm_h[i] * ((i + 1 < sc->nrain ? sc->rain_time_s[i + 1] : sc->duration_s) - sc->rain_time_s[i]) / 3600;
  CHECK(Close(total_mm, 130));
  PetscCall(CheckDefaults(sc, fails));
  PetscCall(SbScenarioDestroy(&sc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Write text to path on rank 0. */
static PetscErrorCode WriteFile(MPI_Comm comm, const char *path, const char *text)
{
  PetscMPIInt rank;
  FILE       *fp;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    fp = fopen(path, "w");
    PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot write %s", path);
    fputs(text, fp);
    fclose(fp);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Cases that need no file in the tree or a file too big to keep there. */
static PetscErrorCode TestGenerated(MPI_Comm comm, PetscInt *fails)
{
  char        dir[64] = "/tmp/sb_scenario_XXXXXX", path[128], text[256], expect[256];
  PetscMPIInt rank;
  PetscInt    i;
  const PetscInt nchain = 18; /* the scenario and 17 files it extends: one more than the limit of 16 */

  PetscFunctionBeginUser;
  PetscCall(ExpectError(comm, BAD "does_not_exist.json", "bad/does_not_exist.json: cannot read file: No such file or directory", fails));
  PetscCall(ExpectError(comm, BAD "parents", "bad/parents: cannot read file: Is a directory", fails));

  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) PetscCheck(mkdtemp(dir), PETSC_COMM_SELF, PETSC_ERR_SYS, "mkdtemp failed");
  PetscCallMPI(MPI_Bcast(dir, sizeof(dir), MPI_CHAR, 0, comm));

  /* over 16 MiB */
  snprintf(path, sizeof(path), "%s/big.json", dir);
  if (rank == 0) {
    FILE  *fp = fopen(path, "w");
    size_t j;

    PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot write %s", path);
    fputs("{\"description\": \"", fp);
    for (j = 0; j < 16 * 1024 * 1024; j++) fputc('x', fp);
    fputs("\"}\n", fp);
    fclose(fp);
  }
  PetscCallMPI(MPI_Barrier(comm));
  PetscCall(ExpectError(comm, path, "big.json: cannot read file: expected at most 16777216 bytes (16 MiB), got 16777236", fails));
  if (rank == 0) unlink(path);

  /* an extends chain one file too long */
  for (i = 0; i < nchain; i++) {
    snprintf(path, sizeof(path), "%s/chain%" PetscInt_FMT ".json", dir, i);
    if (i + 1 < nchain) snprintf(text, sizeof(text), "{\"extends\": \"chain%" PetscInt_FMT ".json\"}\n", i + 1);
    else snprintf(text, sizeof(text), "{\"mesh\": \"m.h5\", \"time\": {\"duration_h\": 1}, \"forcing\": {\"rain\": {\"time_h\": [0], \"intensity_mm_h\": [1]}}}\n");
    PetscCall(WriteFile(comm, path, text));
  }
  PetscCallMPI(MPI_Barrier(comm));
  snprintf(path, sizeof(path), "%s/chain1.json", dir); /* 17 files: the limit */
  {
    SbScenario *sc;

    PetscCall(SbScenarioLoad(comm, path, &sc));
    CHECK(!strcmp(sc->name, "chain1"));
    PetscCall(SbScenarioDestroy(&sc));
  }
  snprintf(path, sizeof(path), "%s/chain0.json", dir);
  snprintf(expect, sizeof(expect), "%s/chain16.json: extends: expected at most 16 files extended, got more: %s/chain0.json -> ", dir, dir);
  PetscCall(ExpectError(comm, path, expect, fails));
  PetscCallMPI(MPI_Barrier(comm));
  if (rank == 0) {
    for (i = 0; i < nchain; i++) {
      snprintf(path, sizeof(path), "%s/chain%" PetscInt_FMT ".json", dir, i);
      unlink(path);
    }
    rmdir(dir);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* scenarios/README.md holds the reference table exactly as SbScenarioPrintReference prints it. */
static PetscErrorCode TestReference(PetscInt *fails)
{
  char  *printed = NULL, *readme = NULL;
  size_t n       = 0;
  FILE  *fp;
  long   len;

  PetscFunctionBeginUser;
  fp = open_memstream(&printed, &n);
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_SYS, "open_memstream failed");
  PetscCall(SbScenarioPrintReference(fp));
  fclose(fp);
  fp = fopen(SB_SOURCE_DIR "/scenarios/README.md", "rb");
  CHECK(fp);
  if (fp) {
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    PetscCall(PetscCalloc1(len + 1, &readme));
    CHECK(fread(readme, 1, (size_t)len, fp) == (size_t)len);
    fclose(fp);
    CHECK(strstr(readme, "<!-- reference:begin -->\n") && strstr(readme, "<!-- reference:end -->"));
    CHECK(strstr(readme, printed));
    PetscCall(PetscFree(readme));
  }
  free(printed);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  MPI_Comm comm;
  PetscInt fails = 0, i, nbad = (PetscInt)(sizeof(BadCases) / sizeof(BadCases[0]));
  char     path[PETSC_MAX_PATH_LEN];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  comm = PETSC_COMM_WORLD;
  PetscCall(TestGood(comm, &fails));
  for (i = 0; i < nbad; i++) {
    snprintf(path, sizeof(path), "%s%s", BAD, BadCases[i].file);
    PetscCall(ExpectError(comm, path, BadCases[i].expect, &fails));
  }
  PetscCall(TestGenerated(comm, &fails));
  PetscCall(TestReference(&fails));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &fails, 1, MPIU_INT, MPI_SUM, comm));
  PetscCall(PetscPrintf(comm, "%s: %" PetscInt_FMT " bad files, %" PetscInt_FMT " failure(s)\n", fails ? "FAIL" : "PASS", nbad, fails));
  PetscCall(PetscFinalize());
  return fails ? 1 : 0;
}
