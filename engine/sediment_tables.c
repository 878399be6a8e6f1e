/* Parameter tables of erosion and sediment transport, with their sources (docs/sediment.md). The
   scenario overrides every column (keys_sediment.inc). */
#include "sediment.h"
#include "meshdata.h"

/* Index = SbSoil.
   Texture: the area centroid of each USDA texture class in the texture triangle (Soil Survey
   Staff 1993, Soil Survey Manual, USDA Handbook 18, fig. 3-16; polygons from the class limits of
   that figure, centroids computed for this table, docs/sediment.md), as mass fractions of clay
   (< 2 µm), silt (2-50 µm) and sand (50-2000 µm).
   Cohesion of the saturated soil surface (kPa): guide values by texture of the EUROSEM user guide
   (Morgan et al. 1998, The European Soil Erosion Model (EUROSEM): documentation and user guide,
   Silsoe College, Table 6), the values LISEM takes from it; to be replaced by measurements (the
   scenario's sediment.cohesion_kpa_by_soil). */
static const SbSedimentSoil SbSedimentSoilTable[SB_SOIL_COUNT] = {
  {0, 0, 0, 0},                  /* none */
  {0.033, 0.050, 0.917, 2.0},    /* sand */
  {0.058, 0.125, 0.817, 2.0},    /* loamy sand */
  {0.104, 0.250, 0.646, 2.0},    /* sandy loam */
  {0.183, 0.406, 0.411, 3.0},    /* loam */
  {0.132, 0.653, 0.215, 3.0},    /* silt loam */
  {0.271, 0.131, 0.598, 3.0},    /* sandy clay loam */
  {0.335, 0.340, 0.325, 10.0},   /* clay loam */
  {0.335, 0.565, 0.100, 9.0},    /* silty clay loam */
  {0.417, 0.066, 0.517, 12.0},   /* sandy clay */
  {0.467, 0.466, 0.067, 10.0},   /* silty clay */
  {0.629, 0.176, 0.195, 12.0},   /* clay */
};

/* Index = SbLandUse. Canopy cover, plant height and ground cover: within the ranges of the guide
   values of the revised Morgan-Morgan-Finney model (Morgan 2001, Catena 44:305-322, Table 2;
   Morgan & Duzant 2008, Table II) for the vegetation of each class in the upper Han in summer
   (mixed deciduous-evergreen forest with litter; shrub and grass; maize and wheat on slopes and
   terraces; rice paddies; built-up land half sealed). Root cohesion: the ranges of added cohesion
   by roots of De Baets et al. (2008), Plant Soil 305:207-226 (grasses and shrubs a few kPa,
   trees more; crops little). These are assumptions to calibrate, not measurements. */
static const SbSedimentLandUse SbSedimentLandUseTable[SB_LU_COUNT] = {
  {0.00, 0.0, 0.00, 0.0}, /* unknown: bare ground */
  {0.80, 10.0, 0.80, 6.0}, /* forest */
  {0.50, 1.0, 0.50, 3.0}, /* shrub and grass */
  {0.40, 1.5, 0.10, 1.0}, /* sloping cropland */
  {0.40, 1.5, 0.10, 1.0}, /* terraced cropland */
  {0.60, 0.8, 0.00, 1.0}, /* paddy */
  {0.10, 5.0, 0.50, 0.0}, /* urban */
  {0.00, 0.0, 0.00, 0.0}, /* water */
};

PetscErrorCode SbSedimentSoilGet(PetscInt texture, SbSedimentSoil *p)
{
  PetscFunctionBeginUser;
  PetscCheck(texture >= 1 && texture < SB_SOIL_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "soil class %" PetscInt_FMT ": expected 1 to %d (USDA textures)", texture, SB_SOIL_COUNT - 1);
  *p = SbSedimentSoilTable[texture];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentLandUseGet(PetscInt landuse, SbSedimentLandUse *p)
{
  PetscFunctionBeginUser;
  PetscCheck(landuse >= 0 && landuse < SB_LU_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "land-use class %" PetscInt_FMT ": expected 0 to %d", landuse, SB_LU_COUNT - 1);
  *p = SbSedimentLandUseTable[landuse];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscReal SbSplashDetachability(PetscReal d_m)
{
  /* Morgan & Duzant (2008), Table I: K = 0.1 (clay), 0.5 (silt), 0.3 (sand) g/J; class limits
     2 µm and 60 µm of that paper. */
  if (d_m <= 2e-6) return 0.1;
  if (d_m < 60e-6) return 0.5;
  return 0.3;
}
