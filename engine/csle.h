/* The Chinese Soil Loss Equation (CSLE; Liu, Zhang & Xie 2002): A = R·K·L·S·B·E·T, its factors and
   their tables (engine/csle_tables.c), and the per-cell soil-loss map. docs/assessment.md. */
#ifndef SB_CSLE_H
#define SB_CSLE_H

#include "grid.h"
#include "d8.h"
#include "meshdata.h"

/* "assessment.b_method", in the order of keys_cover.inc. */
typedef enum { SB_B_METHOD_TABLE = 0, SB_B_METHOD_COVER = 1 } SbBMethod;

/* Factor tables by land use (index SbLandUse) and soil texture (index SbSoil). */
typedef struct {
  PetscReal b[SB_LU_COUNT]; /* vegetation (biological) measures, 0..1 */
  PetscReal e[SB_LU_COUNT]; /* engineering measures (terraces), 0..1 */
  PetscReal t[SB_LU_COUNT]; /* tillage measures (crop rotation), 0..1 */
  PetscReal k[SB_SOIL_COUNT]; /* soil erodibility, t·hm²·h·hm⁻²·MJ⁻¹·mm⁻¹ */
} SbCsleTables;

/* "assessment.slope_correction", in the order of keys_assessment.inc: the mesh slope as it is, the
   fractal correction of it here, or the mesh's own /slope_subgrid (mesh build, docs/mesh-build.md). */
typedef enum { SB_SLOPE_CORRECTION_NONE = 0, SB_SLOPE_CORRECTION_FRACTAL = 1, SB_SLOPE_CORRECTION_MESH = 2 } SbSlopeCorrection;

typedef struct {
  PetscReal         r;                  /* rainfall erosivity, MJ·mm·hm⁻²·h⁻¹·a⁻¹ */
  Vec               r_map, k_map;       /* per-cell R and K on grid->da instead of r and the K table, or NULL; not owned */
  Vec               w_map;              /* per-cell W = B·E·T instead of the tables (treatment measures, measures.c), or NULL; not owned */
  Vec               slope_map;          /* SB_SLOPE_CORRECTION_MESH: tan of the mesh's /slope_subgrid on grid->da; not owned */
  SbCsleTables      tables;
  SbSlopeCorrection slope_correction;
  PetscReal         target_cell_m;      /* resolution the corrected slope stands for */
  PetscReal         fractal_dimension;  /* D of the terrain profile, in (1, 2) */
  PetscReal         slope_length_max_m; /* upper bound of λ */
} SbCsleParams;

/* The defaults of the tables (sources in csle_tables.c and docs/assessment.md). */
PETSC_EXTERN PetscErrorCode SbCsleDefaultTables(SbCsleTables *t);
/* S after Liu, Nearing & Risse (1994) and McCool et al. (1987); theta in radians. */
PETSC_EXTERN PetscErrorCode SbCsleSteepness(PetscReal theta, PetscReal *S);
/* L = (λ/22.13)^m, m = 0.2, 0.3, 0.4, 0.5 for θ ≤ 1°, ≤ 3°, ≤ 5°, > 5° (Liu et al. 2000). */
PETSC_EXTERN PetscErrorCode SbCsleLength(PetscReal lambda_m, PetscReal theta, PetscReal *L);
/* Annual erosivity from daily rain totals P[0..n) covering `years` years by the daily model of
   Zhang, Xie & Liu (2002): R = α Σ P^β / years over erosive days (P ≥ threshold_mm). alpha, beta
   may be NULL. R = 0 without erosive days. */
PETSC_EXTERN PetscErrorCode SbCsleErosivityDaily(PetscInt n, const PetscReal *P_mm, PetscReal threshold_mm, PetscReal years, PetscReal *R, PetscReal *alpha, PetscReal *beta);
/* B of vegetated land from its vegetation cover c (fraction 0..1) by Cai et al. (2000), 水土保持学报
   14(2):19–24: B = 1 at c = 0, 0.6508 − 0.3436 lg(100 c) for 0 < c < 0.783 (at most 1), 0 from 0.783. */
PETSC_EXTERN PetscErrorCode SbCsleVegetationB(PetscReal cover, PetscReal *B);
/* Sub-grid slope: tan θ at target_m from tan θ at cell_m by the fractal scaling of Zhang et al.
   (1999), tan θ_t = tan θ_c (target/cell)^(1−D), only when cell_m > target_m, at most tan 45°. */
PETSC_EXTERN PetscErrorCode SbCsleSlopeCorrect(PetscReal tan_cell, PetscReal cell_m, PetscReal target_m, PetscReal D, PetscReal *tan_target);

/* Collective. Per-cell factors and soil loss. landuse and soil: class codes as reals.
   Out (global vectors on grid->da, created by the caller): A (t·km⁻²·a⁻¹), W = B·E·T, tanθ after
   the slope correction, λ (m), and LS. Inactive cells get 0. */
PETSC_EXTERN PetscErrorCode SbCsleCompute(SbGrid *grid, SbD8 d8, const SbCsleParams *p, Vec landuse, Vec soil, Vec A, Vec W, Vec tan_slope, Vec lambda, Vec LS);

#endif
