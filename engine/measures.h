/* Treatment measures: the measures library (scenarios/measures.json), the scenario's "measures" list
   placed on cells (where, how much, in what priority, from which year), per-cell factor fields
   (CSLE W = B·E·T, sediment trapping, multipliers of Manning's n, Ks and interception capacity),
   the area treated per measure and region, and the scenario's conservation-rate targets.
   docs/measures.md. */
#ifndef SB_MEASURES_H
#define SB_MEASURES_H

#include "grid.h"
#include "scenario.h"
#include "output.h"
#include "csle.h"
#include "d8.h"

typedef struct _p_SbMeasures *SbMeasures;

/* Collective. Reads the library (rank 0 reads, every rank parses), checks it and the scenario's
   "measures" and "targets" against it and the mesh's regions (one-line errors naming the file and
   the JSON path), reads mask rasters. Nothing heavy; no output is touched. */
PETSC_EXTERN PetscErrorCode SbMeasuresCreate(SbGrid *grid, const SbScenario *sc, SbMeasures *m);
/* Number of measures in the scenario (applied or not in measures_year). */
PETSC_EXTERN PetscErrorCode SbMeasuresGetCount(SbMeasures m, PetscInt *n);
/* Conservation-rate targets of region id (1..nregions) or the basin (0) for 2025 and 2035: the
   scenario's "targets", else def[]. */
PETSC_EXTERN PetscErrorCode SbMeasuresGetTargets(SbMeasures m, PetscInt id, const PetscReal def[2], PetscReal target[2]);
/* Collective. Places the measures on cells, in the scenario's order, from the untreated state: land
   use, the CSLE slope tan θ, the untreated soil loss A0 (t·km⁻²·a⁻¹) and the sediment passing each
   cell (t/a). Ties of a priority are broken by the global cell index (row-major), so the choice does
   not depend on the rank count. Fills the per-cell fields of SbMeasuresGetFields. */
PETSC_EXTERN PetscErrorCode SbMeasuresSelect(SbMeasures m, SbD8 d8, const SbCsleTables *tables, Vec landuse, Vec tan_slope, Vec A0, Vec passing0);
/* Per-cell fields on grid->da, owned by m (NULL before SbMeasuresSelect): W = B·E·T after the
   measures, the fraction of passing sediment held back (check dams), and the multipliers of
   Manning's n (overland), of the saturated conductivity Ks and of the canopy interception capacity
   (1 on untreated cells). Any argument may be NULL. */
PETSC_EXTERN PetscErrorCode SbMeasuresGetFields(SbMeasures m, Vec *W, Vec *trap, Vec *manning_factor, Vec *ks_factor, Vec *interception_factor);
/* Collective. Soil loss avoided (t/a) per measure and region, from the untreated and the treated
   soil loss (t·km⁻²·a⁻¹), and the sediment held back by structures (t/a) from the passing sediment
   of the treated run. Prints one line per measure on rank 0 (warnings for eligible areas that ran out). */
PETSC_EXTERN PetscErrorCode SbMeasuresReport(SbMeasures m, Vec A0, Vec A, Vec passing);
/* Collective. /measures/<name> (attributes and per-region datasets) and /maps/measure. */
PETSC_EXTERN PetscErrorCode SbMeasuresWrite(SbMeasures m, SbOutput out);
/* Collective. Reads the library even when the scenario has no measures (shuibao plan). */
PETSC_EXTERN PetscErrorCode SbMeasuresReadLibrary(SbMeasures m, const SbScenario *sc);
/* Entries of the library: count, and entry d's name (owned by m) and whether it acts on the land
   (area and composite measures; structures do not change the CSLE). */
PETSC_EXTERN PetscErrorCode SbMeasuresLibraryGetCount(SbMeasures m, PetscInt *n);
PETSC_EXTERN PetscErrorCode SbMeasuresLibraryGetName(SbMeasures m, PetscInt d, const char **name, PetscBool *on_land);
/* Not collective. What library measure d would do on each cell not yet treated (after
   SbMeasuresSelect, if the scenario has measures) where the library makes it eligible, as a
   measure with no "where" of its own would be placed: the cell's W = B·E·T and cost (yuan); -1 in
   both elsewhere. W and cost_yuan are global vectors on grid->da made by the caller. */
PETSC_EXTERN PetscErrorCode SbMeasuresTry(SbMeasures m, PetscInt d, const SbCsleTables *tables, Vec landuse, Vec tan_slope, Vec W, Vec cost_yuan);
PETSC_EXTERN PetscErrorCode SbMeasuresDestroy(SbMeasures *m);

#endif
