/* Parameter tables of the vertical water balance, with their sources (docs/hydrology.md). */
#include "hydro_tables.h"
#include "meshdata.h"

/* Rawls, Brakensiek & Miller (1983), Green-Ampt infiltration parameters from soils data,
   J. Hydraul. Eng. 109(1):62-70, Table 4 (as in Chow, Maidment & Mays 1988, Applied Hydrology,
   Table 4.3.1): porosity, effective porosity, wetting-front suction head (cm), saturated
   hydraulic conductivity (cm/h).
   Rawls, Brakensiek & Saxton (1982), Estimation of soil water properties, Trans. ASAE
   25(5):1316-1320, Table 2: mean water retained at -33 kPa (field capacity) and -1500 kPa
   (wilting point), cm³/cm³. Index = SbSoil. */
static const struct {
  double porosity, theta_e, psi_cm, ks_cm_h, theta_33, theta_1500;
} SbSoilTable[SB_SOIL_COUNT] = {
  {0, 0, 0, 0, 0, 0},                         /* none */
  {0.437, 0.417, 4.95, 11.78, 0.091, 0.033},  /* sand */
  {0.437, 0.401, 6.13, 2.99, 0.125, 0.055},   /* loamy sand */
  {0.453, 0.412, 11.01, 1.09, 0.207, 0.095},  /* sandy loam */
  {0.463, 0.434, 8.89, 0.34, 0.270, 0.117},   /* loam */
  {0.501, 0.486, 16.68, 0.65, 0.330, 0.133},  /* silt loam */
  {0.398, 0.330, 21.85, 0.15, 0.255, 0.148},  /* sandy clay loam */
  {0.464, 0.309, 20.88, 0.10, 0.318, 0.197},  /* clay loam */
  {0.471, 0.432, 27.30, 0.10, 0.366, 0.208},  /* silty clay loam */
  {0.430, 0.321, 23.90, 0.06, 0.339, 0.239},  /* sandy clay */
  {0.479, 0.423, 29.22, 0.05, 0.387, 0.250},  /* silty clay */
  {0.475, 0.385, 31.63, 0.03, 0.396, 0.272},  /* clay */
};

/* Leaf area index: the July values are the biome means of Scurlock, Asner & Gower (2001),
   Worldwide historical estimates of leaf area index, 1932-2000, ORNL/TM-2001/268 (temperate
   deciduous forest 5.1, shrubland 2.1 and grassland 2.5, crops 3.6); the January values are
   assumptions for the upper Han (mixed evergreen-deciduous forest keeps leaves; fields fallow or
   under winter crops; paddies drained). Impervious fraction of built-up land: 0.5, between the
   38 % and 65 % of residential districts in USDA SCS (1986), TR-55, Table 2-2a; open water has
   no soil. Index = SbLandUse. */
static const SbLandUseProperties SbLandUseTable[SB_LU_COUNT] = {
  {0.0, 0.0, 0.0}, /* unknown: bare ground */
  {2.0, 5.1, 0.0}, /* forest */
  {0.5, 2.3, 0.0}, /* shrub and grass */
  {0.3, 3.6, 0.0}, /* sloping cropland */
  {0.3, 3.6, 0.0}, /* terraced cropland */
  {0.0, 3.6, 0.0}, /* paddy */
  {0.2, 1.0, 0.5}, /* urban */
  {0.0, 0.0, 1.0}, /* water */
};

PetscErrorCode SbSoilPropertiesGet(PetscInt texture, SbSoilProperties *p)
{
  PetscFunctionBeginUser;
  PetscCheck(texture >= 1 && texture < SB_SOIL_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "soil class %" PetscInt_FMT ": expected 1 to %d (Rawls et al. 1983 textures)", texture, SB_SOIL_COUNT - 1);
  p->porosity = SbSoilTable[texture].porosity;
  p->theta_e  = SbSoilTable[texture].theta_e;
  p->psi_m    = SbSoilTable[texture].psi_cm / 100.0;
  p->ks_m_s   = SbSoilTable[texture].ks_cm_h / 100.0 / 3600.0;
  p->theta_fc = SbSoilTable[texture].theta_33;
  p->theta_wp = SbSoilTable[texture].theta_1500;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbLandUsePropertiesGet(PetscInt landuse, SbLandUseProperties *p)
{
  PetscFunctionBeginUser;
  PetscCheck(landuse >= 0 && landuse < SB_LU_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "land-use class %" PetscInt_FMT ": expected 0 to %d", landuse, SB_LU_COUNT - 1);
  *p = SbLandUseTable[landuse];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbLeafAreaIndex(const SbLandUseProperties *p, PetscInt doy, PetscReal *lai)
{
  PetscFunctionBeginUser;
  /* 0 on 15 January, 1 half a year later. */
  *lai = p->lai_min + (p->lai_max - p->lai_min) * 0.5 * (1.0 - PetscCosReal(2.0 * PETSC_PI * (PetscReal)(doy - 15) / 365.0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCanopyCapacity(PetscReal lai, PetscReal *capacity_m)
{
  PetscFunctionBeginUser;
  /* von Hoyningen-Huene (1981), Die Interzeption des Niederschlags in landwirtschaftlichen
     Pflanzenbeständen, DVWK 57, as used in LISEM (de Roo, Wesseling & Ritsema 1996):
     S_max = 0.935 + 0.498 LAI - 0.00575 LAI² (mm). */
  *capacity_m = lai > 0 ? 1e-3 * (0.935 + 0.498 * lai - 0.00575 * lai * lai) : 0.0;
  PetscFunctionReturn(PETSC_SUCCESS);
}
