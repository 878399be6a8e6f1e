/* Scenario files: JSON (cJSON) with `extends`, checked against a schema; every error names the
   file and the JSON path. The schema in scenario.c is the one source of the reference in
   scenarios/README.md (`shuibao scenario reference` prints it). */
#ifndef SB_SCENARIO_H
#define SB_SCENARIO_H

#include "sbsys.h"

typedef enum { SB_RAIN_UNIFORM = 0 } SbRainType;
typedef enum { SB_ROUTING_LOCAL_INERTIAL = 0 } SbRoutingScheme;

typedef struct {
  char path[PETSC_MAX_PATH_LEN]; /* the scenario file as given */
  char name[SB_MAX_NAME];        /* "name"; default: file name without .json */
  char description[512];         /* "description" */
  char mesh_path[PETSC_MAX_PATH_LEN]; /* "mesh", resolved relative to the directory of the file that set it */

  char      start[32];  /* "time.start", ISO 8601 "YYYY-MM-DDThh:mm:ss", default "2000-01-01T00:00:00" */
  PetscReal duration_s; /* "time.duration_h" (> 0, <= 1e6 h), in seconds */

  /* "forcing.rain": piecewise-constant uniform rain, intensity_mm_h[i] from time_s[i] to time_s[i+1]
     (the last one to the end). time_s[0] == 0, strictly increasing. */
  SbRainType rain_type;      /* "forcing.rain.type": "uniform" */
  PetscInt   nrain;
  PetscReal *rain_time_s;    /* from "forcing.rain.time_h" */
  PetscReal *rain_mm_h;      /* from "forcing.rain.intensity_mm_h", each in [0, 500] */

  /* water balance: "infiltration" */
  PetscBool infiltration_enabled; /* "infiltration.enabled", default true */
  PetscReal initial_saturation;   /* "infiltration.initial_saturation", [0, 1), default 0.3 */
  PetscReal ks_factor;            /* "infiltration.ks_factor", (0, 100], default 1 */

  SbRoutingScheme routing_scheme;   /* "routing.scheme": "local-inertial" */
  PetscReal manning_n_overland;     /* "routing.manning_n_overland", s m^-1/3, (0, 1], default 0.10 */
  PetscReal manning_n_channel;      /* "routing.manning_n_channel", (0, 1], default 0.035 */
  PetscReal cfl;                    /* "routing.cfl", (0, 1], default 0.7 (Bates et al. 2010) */
  PetscReal theta;                  /* "routing.theta", [0, 1], default 0.9 (de Almeida et al. 2012; 0.8 is unstable at cfl 0.7 in 2-D, docs/routing.md) */
  PetscReal max_dt_s;               /* "routing.max_dt_s", (0, 86400], default 300 */
  PetscReal depth_threshold_m;      /* "routing.depth_threshold_m", [0, 1], default 1e-4: no flux between cells drier than this */

  PetscReal output_interval_s;       /* "output.interval_min" (> 0), default 60 min */
  char      output_file[PETSC_MAX_PATH_LEN]; /* "output.file", default "result.h5", relative to the working directory */

  char *text; /* the merged scenario (after `extends`) as JSON text, for /provenance; owned */
} SbScenario;

/* Collective on comm: rank 0 reads each file (the scenario and every file it extends) and
   broadcasts its bytes; every rank parses and checks, so all ranks fail together with the same
   one-line message, e.g.
     plan.json: routing.cfl: expected a number in (0, 1], got 1.5
   Errors are PETSC_ERR_USER_INPUT. */
PETSC_EXTERN PetscErrorCode SbScenarioLoad(MPI_Comm comm, const char *path, SbScenario **scenario);
PETSC_EXTERN PetscErrorCode SbScenarioDestroy(SbScenario **scenario);
/* Print the reference (Markdown table: key, type, unit, default, range, meaning) to fp. */
PETSC_EXTERN PetscErrorCode SbScenarioPrintReference(FILE *fp);

#endif
