/* Scenario files: JSON (cJSON) with `extends`, checked against a schema; every error names the
   file and the JSON path. The schema in scenario.c is the one source of the reference in
   scenarios/README.md (`shuibao scenario reference` prints it). */
#ifndef SB_SCENARIO_H
#define SB_SCENARIO_H

#include "sbsys.h"

typedef enum { SB_RAIN_UNIFORM = 0, SB_RAIN_GAUGES = 1, SB_RAIN_CHICAGO = 2, SB_RAIN_ALTERNATING_BLOCK = 3, SB_RAIN_GENERATOR = 4 } SbRainType; /* "forcing.rain.type", in the order of keys_core.inc */
typedef enum { SB_PET_HARGREAVES = 0, SB_PET_MONTHLY = 1 } SbPetMethod; /* "forcing.pet.method" */
typedef enum { SB_ROUTING_LOCAL_INERTIAL = 0, SB_ROUTING_DIFFUSIVE_WAVE = 1 } SbRoutingScheme; /* "routing.scheme", in the order of keys_routing.inc */
typedef enum { SB_RESERVOIR_NORMAL_LEVEL = 0, SB_RESERVOIR_WEIR = 1 } SbReservoirRule; /* "routing.reservoir.rule" */
typedef enum { SB_MODE_SIMULATION = 0, SB_MODE_ASSESSMENT = 1 } SbMode; /* "mode" (assessment) */

typedef struct {
  char path[PETSC_MAX_PATH_LEN]; /* the scenario file as given */
  char name[SB_MAX_NAME];        /* "name"; default: file name without .json */
  char description[512];         /* "description" */
  char mesh_path[PETSC_MAX_PATH_LEN]; /* "mesh", resolved relative to the directory of the file that set it */

  char      start[32];  /* "time.start", ISO 8601 "YYYY-MM-DDThh:mm:ss", default "2000-01-01T00:00:00" */
  PetscReal duration_s; /* "time.duration_h" (> 0, <= 1e6 h), in seconds */

  /* "forcing.rain": inline series, intensity_mm_h[i] from time_s[i] to time_s[i+1] (the last one to
     the end). time_s[0] == 0, strictly increasing. Other kinds of rain: the forcing block below;
     engine/forcing.c turns every kind into one series (SbForcing). */
  int        rain_type;      /* "forcing.rain.type": SbRainType */
  PetscInt   nrain;
  PetscReal *rain_time_s;    /* from "forcing.rain.time_h" */
  PetscInt   nrain_values;   /* nrain (uniform) or nrain * rain_ngauges (gauges) */
  PetscReal *rain_mm_h;      /* from "forcing.rain.intensity_mm_h", each in [0, 500]; gauges: [time][gauge] */
  /* ---- forcing: keys_forcing.inc, engine/forcing.c, docs/hydrology.md ---- */
  char       rain_csv[PETSC_MAX_PATH_LEN];     /* "forcing.rain.csv" ("": inline series) */
  PetscInt   rain_ngauges, rain_ngauges_y;     /* "forcing.rain.gauges.{x,y}" */
  PetscReal *rain_gauge_x, *rain_gauge_y;      /* mesh coordinates */
  PetscReal  rain_idw_power;                   /* "forcing.rain.gauges.power" */
  PetscReal  storm_a, storm_b_min, storm_c;    /* "forcing.rain.storm.idf_*": i (mm/h) = a / (t_min + b)^c */
  PetscReal  storm_duration_s, storm_step_s, storm_peak, storm_start_s;
  PetscInt   gen_seed, gen_max_duration_h;     /* "forcing.rain.generator" */
  PetscInt   gen_n[4];                         /* lengths of the four monthly arrays */
  PetscReal *gen_p_wd, *gen_p_ww, *gen_mean_mm, *gen_shape;
  PetscBool  pet_present;                      /* "forcing.pet" */
  int        pet_method;                       /* SbPetMethod */
  PetscReal  pet_latitude_deg;
  PetscReal  pet_factor;                       /* "forcing.pet.factor" */
  PetscInt   pet_ntmin, pet_ntmax, pet_nmonthly;
  PetscReal *pet_tmin_c, *pet_tmax_c, *pet_monthly_mm_d;
  char       pet_csv[PETSC_MAX_PATH_LEN];      /* "forcing.pet.csv" ("": none) */
  /* ---- end of forcing ---- */

  /* water balance: "infiltration" */
  PetscBool infiltration_enabled; /* "infiltration.enabled", default true */
  PetscReal initial_saturation;   /* "infiltration.initial_saturation", [0, 1), default 0.3 */
  PetscReal ks_factor;            /* "infiltration.ks_factor", (0, 100], default 1 */

  /* ---- vertical water balance: keys_vertical.inc, interception.c, soilwater.c, groundwater.c,
     evapotranspiration.c, docs/hydrology.md ---- */
  PetscBool  interception_enabled; /* "interception.enabled" */
  int        interception_model;   /* "interception.model": 0 aston, 1 bucket */
  PetscBool  soil_enabled;         /* "soil.enabled": evapotranspiration and percolation from the root zone */
  PetscReal  root_depth_m;         /* "soil.root_depth_m" */
  PetscReal  depletion_fraction;   /* "soil.depletion_fraction", FAO-56 p */
  PetscBool  gw_enabled;           /* "groundwater.enabled" */
  PetscReal  gw_recession_s;       /* "groundwater.recession_days", in seconds */
  PetscReal  gw_initial_m;         /* "groundwater.initial_mm", in m over each store's area */
  PetscReal  pet_m_s;              /* "evapotranspiration.pet_mm_d", in m/s */
  PetscInt   npet_monthly;         /* "evapotranspiration.monthly_mm_d": 0 or 12 values */
  PetscReal *pet_monthly_m_s;      /* January .. December, m/s */
  PetscReal  dry_max_dt_s;         /* "time_step.dry_max_h", in seconds */
  /* ---- end of vertical water balance ---- */

  SbRoutingScheme routing_scheme;   /* "routing.scheme": "local-inertial" or "diffusive-wave" */
  PetscReal manning_n_overland;     /* "routing.manning_n_overland", s m^-1/3, (0, 1], default 0.10 */
  PetscReal manning_n_channel;      /* "routing.manning_n_channel", (0, 1], default 0.035 */
  PetscReal cfl;                    /* "routing.cfl", (0, 1], default 0.7 (Bates et al. 2010) */
  PetscReal theta;                  /* "routing.theta", [0, 1], default 0.9 (de Almeida et al. 2012; 0.8 is unstable at cfl 0.7 in 2-D, docs/routing.md) */
  PetscReal max_dt_s;               /* "routing.max_dt_s", (0, 86400], default 300 */
  PetscReal depth_threshold_m;      /* "routing.depth_threshold_m", [0, 1], default 1e-4: no flux between cells drier than this */
  /* ---- routing: keys_routing.inc, engine/routing*.c, channel.c, reservoir.c, docs/routing.md ---- */
  PetscBool channel_subgrid;        /* "routing.channel.subgrid": channels narrower than the cell, incised below the DEM */
  PetscReal channel_width_coef;     /* "routing.channel.width_coef" a, m: width w = a A^b, A upstream area in km² */
  PetscReal channel_width_exp;      /* "routing.channel.width_exp" b */
  PetscReal channel_depth_coef;     /* "routing.channel.depth_coef" c, m: bankfull depth d = c A^f */
  PetscReal channel_depth_exp;      /* "routing.channel.depth_exp" f */
  PetscReal dw_rtol;                /* "routing.diffusive.rtol": relative tolerance of the TS step adaptor */
  PetscReal dw_atol_m;              /* "routing.diffusive.atol_m": absolute tolerance (depth, m) of the TS step adaptor */
  PetscReal dw_slope_eps;           /* "routing.diffusive.slope_epsilon": regularises |dh/dx|^(-1/2) near zero */
  PetscReal dw_initial_dt_s;        /* "routing.diffusive.initial_dt_s" */
  PetscBool reservoir_enabled;      /* "routing.reservoir.enabled": level pool where the mesh has a reservoir */
  SbReservoirRule reservoir_rule;   /* "routing.reservoir.rule" */
  PetscReal weir_coef;              /* "routing.reservoir.weir_coef", m^0.5/s */
  PetscReal weir_length_m;          /* "routing.reservoir.weir_length_m" */
  /* ---- end of routing ---- */

  /* ---- sediment: keys_sediment.inc, engine/sediment.c, sediment_tables.c, docs/sediment.md ---- */
  PetscBool  sed_enabled;             /* "sediment.enabled" */
  PetscInt   sed_nclasses;            /* "sediment.classes.diameter_um" (0: the default classes) */
  PetscReal *sed_diameter_m;
  PetscInt   sed_nfraction;           /* "sediment.classes.fraction" (0: from the soil texture) */
  PetscReal *sed_fraction;
  PetscInt   sed_ndetachability;      /* "sediment.classes.detachability_g_j" (0: by diameter) */
  PetscReal *sed_detachability;       /* g/J */
  PetscReal  sed_density;             /* "sediment.density_kg_m3" */
  PetscReal  sed_splash_b_per_mm;     /* "sediment.splash_depth_coef_per_mm" */
  PetscReal  sed_max_conc;            /* "sediment.max_concentration_kg_m3" */
  PetscReal  sed_min_slope;           /* "sediment.min_slope" */
  PetscReal  sed_initial_bed_kg_m2;   /* "sediment.initial_bed_kg_m2" */
  PetscReal  sed_pool_depth_m;        /* "sediment.reservoir_mixing_depth_m" */
  PetscReal  sed_erodibility_factor;  /* "sediment.erodibility_factor", (0, 100], default 1 (0 in a scenario built by hand: 1) */
  PetscInt   sed_ncohesion, sed_nroot_cohesion, sed_ncanopy_cover, sed_nplant_height, sed_nground_cover; /* 0: the tables */
  PetscReal *sed_cohesion_kpa, *sed_root_cohesion_kpa, *sed_canopy_cover, *sed_plant_height_m, *sed_ground_cover;
  PetscInt   sed_ndam_row, sed_ndam_col, sed_ndam_capacity; /* "sediment.check_dams.{row,col,capacity_t}" */
  PetscReal *sed_dam_row, *sed_dam_col, *sed_dam_capacity_kg;
  /* ---- end of sediment ---- */

  PetscReal output_interval_s;       /* "output.interval_min" (> 0), default 60 min */
  char      output_file[PETSC_MAX_PATH_LEN]; /* "output.file", default "result.h5", relative to the working directory */

  /* ---- assessment: keys_assessment.inc, engine/assessment.c, docs/assessment.md ---- */
  int        mode;                  /* "mode": SB_MODE_SIMULATION or SB_MODE_ASSESSMENT */
  PetscBool  assessment_present;    /* the scenario has an "assessment" object */
  PetscReal  as_tolerance_t_km2_a;  /* "assessment.tolerance_t_km2_a" */
  PetscReal  as_target_2025, as_target_2035; /* "assessment.target_2025", "assessment.target_2035": conservation rate targets (fraction) */
  PetscInt   as_ndaily;             /* "assessment.rain.daily_mm" (0: not given) */
  PetscReal *as_daily_mm;
  char       as_daily_csv[PETSC_MAX_PATH_LEN]; /* "assessment.rain.daily_csv" ("" : not given) */
  char       as_r_map[PETSC_MAX_PATH_LEN]; /* "assessment.rain.r_map" ("" : not given) */
  char       as_k_map[PETSC_MAX_PATH_LEN]; /* "assessment.k_map" ("" : not given) */
  PetscReal  as_r;                  /* "assessment.rain.r_mj_mm_ha_h_a" (0: not given) */
  PetscReal  as_erosive_mm;         /* "assessment.rain.erosive_threshold_mm" */
  int        as_slope_correction;   /* "assessment.slope_correction": SbSlopeCorrection */
  PetscReal  as_target_cell_m, as_fractal_dimension, as_slope_length_max_m;
  PetscInt   as_nb, as_ne, as_nt;   /* "assessment.{b,e,t}_by_landuse" (0: the default tables) */
  PetscReal *as_b, *as_e, *as_t;
  PetscReal  as_sdr_max, as_ic0, as_k;
  int        as_b_method;           /* "assessment.b_method" (keys_cover.inc): 0 table, 1 cover */
  PetscBool  as_cover_present;      /* the scenario has "assessment.vegetation_cover" */
  PetscReal  as_cover_forest, as_cover_shrub_grass; /* "assessment.vegetation_cover.{forest,shrub_grass}" (fraction) */
  /* ---- end of assessment ---- */

  /* ---- treatment measures: keys_measures.inc, engine/measures.c, docs/measures.md ---- */
  char     measures_library[PETSC_MAX_PATH_LEN]; /* "measures_library" ("": the documented search) */
  PetscInt measures_year;                        /* "measures_year": measures from later years are not applied (0: all) */
  char    *measures_json;                        /* "measures" as JSON text, or NULL; owned */
  char     measures_origin[PETSC_MAX_PATH_LEN];  /* the file that set "measures" (relative mask paths) */
  char    *targets_json;                         /* "targets" as JSON text, or NULL; owned */
  char     targets_origin[PETSC_MAX_PATH_LEN];
  /* ---- end of treatment measures ---- */

  char *text; /* the merged scenario (after `extends`) as JSON text, for /provenance; owned */
} SbScenario;

/* Collective on comm: rank 0 reads each file (the scenario and every file it extends) and
   broadcasts its bytes; every rank parses and checks, so all ranks fail together with the same
   one-line message, e.g.
     plan.json: routing.cfl: expected a number in (0, 1], got 1.5
   Errors are PETSC_ERR_USER_INPUT. */
PETSC_EXTERN PetscErrorCode SbScenarioLoad(MPI_Comm comm, const char *path, SbScenario **scenario);
PETSC_EXTERN PetscErrorCode SbScenarioDestroy(SbScenario **scenario);
/* Collective: rank 0 reads a file (at most 16 MiB) and every rank receives its bytes
   (PetscMalloc'd, NUL-terminated, the caller frees), or reason[0] != 0 saying why it could not be read. */
PETSC_EXTERN PetscErrorCode SbScenarioReadFile(MPI_Comm comm, const char *path, char **bytes, size_t *len, char *reason, size_t nreason);
/* Print the reference (Markdown table: key, type, unit, default, range, meaning) to fp. */
PETSC_EXTERN PetscErrorCode SbScenarioPrintReference(FILE *fp);
/* The defaults of this build as a flat JSON object {"dotted.key": value} (numbers, booleans, enums
   and strings that have one; PetscFree it): checkpoints keep it, so that a restart by a build with
   other defaults is caught (checkpoint.c). */
PETSC_EXTERN PetscErrorCode SbScenarioDefaults(char **json);

#endif
