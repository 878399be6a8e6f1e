/* `shuibao plan`: a target-seeking plan. Measures of the library are placed on cells by cost per
   km² brought below the tolerable soil loss until the basin's 水土保持率 reaches the target or the
   budget is spent; the plan is written as a scenario (an `extends` of the base with one mask raster
   per measure) and a report. docs/measures.md, section "Target-seeking plans". */
#ifndef SB_PLAN_H
#define SB_PLAN_H

#include "sbsys.h"

typedef struct {
  const char *base;        /* base scenario (needs the assessment) */
  const char *output;      /* plan scenario to write; NULL: plan.json */
  const char *mesh;        /* mesh file, overrides the base's "mesh"; NULL: the base's */
  PetscReal   target;      /* basin conservation rate to reach, (0, 1] */
  PetscInt    year;        /* measures_year of the plan and year of its measures */
  PetscReal   budget_yuan; /* < 0: no budget */
} SbPlanOptions;

/* Exit statuses of `shuibao plan` (docs/measures.md). */
#define SB_PLAN_MET         0 /* target met (or met by the base already); plan written */
#define SB_PLAN_BUDGET      2 /* budget spent before the target: the plan within the budget written, with a warning */
#define SB_PLAN_UNREACHABLE 3 /* no placement of the library's measures reaches the target: nothing written */

/* Collective. *status is one of SB_PLAN_*. Input errors are PETSC_ERR_USER_INPUT, raised before
   any file is written. */
PETSC_EXTERN PetscErrorCode SbPlan(MPI_Comm comm, const SbPlanOptions *opts, int *status);

#endif
