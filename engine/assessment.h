/* The annual soil-loss assessment as in China's dynamic monitoring: CSLE soil loss (csle.c),
   SL 190-2007 intensity classes, area per class, soil loss and 水土保持率 per region and basin,
   sediment delivery to the gauges and the reservoir (connectivity.c). docs/assessment.md. */
#ifndef SB_ASSESSMENT_H
#define SB_ASSESSMENT_H

#include "grid.h"
#include "scenario.h"
#include "output.h"
#include "csle.h"
#include "connectivity.h"
#include "measures.h"

/* SL 190-2007 classes, 1-based as in /maps/erosion_class (0 = outside the basin). */
#define SB_EROSION_CLASSES 6
PETSC_EXTERN const char *const SbErosionClassNames[SB_EROSION_CLASSES];   /* slight ... severe */
PETSC_EXTERN const char *const SbErosionClassNamesZh[SB_EROSION_CLASSES]; /* 微度 ... 剧烈 */

typedef struct {
  PetscReal area_km2;          /* land area, water included */
  PetscReal soil_loss_t_a;     /* total */
  PetscReal mean_t_km2_a;      /* soil_loss / area */
  PetscReal conservation_rate; /* area of slight erosion / area (水土保持率) */
  PetscReal area_class_km2[SB_EROSION_CLASSES];
} SbAssessmentStats;

typedef struct _p_SbAssessment *SbAssessment;

/* Class 1..6 of a soil loss A (t·km⁻²·a⁻¹): below the tolerance, 2,500, 5,000, 8,000, 15,000,
   above (SL 190-2007, Table 2, with the tolerance of the region as the upper bound of slight). */
PETSC_EXTERN PetscErrorCode SbAssessmentClass(PetscReal A, PetscReal tolerance, PetscInt *cls);
/* Collective. Checks the scenario's assessment keys (errors name the file and key), reads
   /landuse, chooses R. Nothing heavy. */
PETSC_EXTERN PetscErrorCode SbAssessmentCreate(SbGrid *grid, const SbScenario *sc, SbAssessment *a);
/* Collective. Soil loss, classes, statistics, connectivity and sediment export. */
PETSC_EXTERN PetscErrorCode SbAssessmentRun(SbAssessment a);
/* Collective. /maps/{soil_loss,erosion_class,sdr,ic}, /summary/{basin,regions/<name>,gauges/<name>}. */
PETSC_EXTERN PetscErrorCode SbAssessmentWrite(SbAssessment a, SbOutput out);
/* Statistics of region id (1..nregions) or of the basin (id 0), on every rank. */
PETSC_EXTERN PetscErrorCode SbAssessmentGetStats(SbAssessment a, PetscInt id, SbAssessmentStats *s);
/* The rainfall erosivity used (MJ·mm·hm⁻²·h⁻¹·a⁻¹). */
PETSC_EXTERN PetscErrorCode SbAssessmentGetErosivity(SbAssessment a, PetscReal *R);
/* Sediment passing gauge k (t/a) and entering the reservoir (t/a). */
PETSC_EXTERN PetscErrorCode SbAssessmentGetSediment(SbAssessment a, const PetscReal **gauge_t_a, PetscReal *reservoir_t_a);
/* Maps (global vectors on grid->da, owned by a): soil loss t·km⁻²·a⁻¹, class, IC, SDR, export t/a,
   passing sediment t/a, W = B·E·T, land use. Any may be NULL. */
PETSC_EXTERN PetscErrorCode SbAssessmentGetMaps(SbAssessment a, Vec *A, Vec *cls, Vec *ic, Vec *sdr, Vec *export_t_a, Vec *passing_t_a, Vec *W, Vec *landuse);
/* Collective. Treatment measures (measures.c): the untreated soil loss and sediment passing each
   cell, then the measures placed on cells; from then on the assessment uses their W and trapping,
   and the conservation-rate targets of the scenario's "targets". m stays the caller's. */
PETSC_EXTERN PetscErrorCode SbAssessmentApplyMeasures(SbAssessment a, SbMeasures m);
/* After SbAssessmentRun: the CSLE slope tan θ (after the sub-grid correction; owned by a), the
   factor tables and the tolerance (t·km⁻²·a⁻¹). Any may be NULL. */
PETSC_EXTERN PetscErrorCode SbAssessmentGetCsle(SbAssessment a, Vec *tan_slope, const SbCsleTables **tables, PetscReal *tolerance);
PETSC_EXTERN PetscErrorCode SbAssessmentDestroy(SbAssessment *a);

#endif
