/* Default CSLE factor tables. Every value names its source; where the source could not be checked
   against the original text while writing this, the comment says so (docs/assessment.md lists
   them). A scenario overrides B, E and T per land use (assessment.b_by_landuse, ...). */
#include "csle.h"

/* Soil erodibility by texture class. US customary K (ton·acre·h/(hundreds·acre·ft·tonf·in)),
   class averages of Table 3 of the OMAFRA factsheet 12-051, "Universal Soil Loss Equation" (Stone
   & Hilborn 2012), which follows Wischmeier & Smith (1978) and Schwab et al. (1981); sandy clay,
   missing there, from Schwab et al. (1981) at 2 % organic matter. Converted to SI
   (t·hm²·h·hm⁻²·MJ⁻¹·mm⁻¹) by 0.1317 (Foster et al. 1981, J. Soil Water Conserv. 36:355–359).
   Values recalled from those tables, not re-checked against the originals. */
static const PetscReal K_US[SB_SOIL_COUNT] = {
  0.0,  /* none */
  0.02, /* sand */
  0.04, /* loamy sand */
  0.13, /* sandy loam */
  0.30, /* loam */
  0.38, /* silt loam */
  0.20, /* sandy clay loam */
  0.30, /* clay loam */
  0.32, /* silty clay loam */
  0.13, /* sandy clay (Schwab et al. 1981, 2 % organic matter) */
  0.26, /* silty clay */
  0.22, /* clay */
};

PetscErrorCode SbCsleDefaultTables(SbCsleTables *t)
{
  PetscFunctionBeginUser;
  for (PetscInt s = 0; s < SB_SOIL_COUNT; s++) t->k[s] = 0.1317 * K_US[s];
  for (PetscInt u = 0; u < SB_LU_COUNT; u++) {
    t->b[u] = 1.0;
    t->e[u] = 1.0;
    t->t[u] = 1.0;
  }
  t->b[SB_LU_NONE] = 0.0;
  /* B of forest and of shrub/grass land at about 80 % cover: Cai Chongfa et al. (2000), 水土保持学报
     14(2):19–24, table of C against vegetation cover (forest 0.004, shrub 0.040 at 80 %); not
     re-checked against the original. Cropland has B = 1: CSLE puts crops into T (Liu et al. 2002). */
  t->b[SB_LU_FOREST]      = 0.004;
  t->b[SB_LU_SHRUB_GRASS] = 0.040;
  /* Built-up land is mostly sealed; 0.01 is a placeholder of this project, not from a source. */
  t->b[SB_LU_URBAN] = 0.01;
  /* Water bodies lose no soil, and count as land without soil loss in the statistics (the
     official 水土保持率 counts them so). */
  t->b[SB_LU_WATER] = 0.0;
  /* E of level terraces (水平梯田) 0.084, as tabulated for CSLE by Liu Baoyu's group for the first
     national water census (2010–2012); bunded paddies are level fields and take the same value
     (an assumption of this project). Not re-checked against the original manual. */
  t->e[SB_LU_TERRACED_CROPLAND] = 0.084;
  t->e[SB_LU_PADDY]             = 0.084;
  /* T of cropland: 0.4, a typical value of the crop-rotation factor for two crops a year in the
     Qinling–Daba mountains; a placeholder of this project awaiting the regional CSLE T table. */
  t->t[SB_LU_SLOPING_CROPLAND]  = 0.4;
  t->t[SB_LU_TERRACED_CROPLAND] = 0.4;
  t->t[SB_LU_PADDY]             = 0.4;
  PetscFunctionReturn(PETSC_SUCCESS);
}
