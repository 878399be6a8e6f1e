/* Parameter tables of the vertical water balance: soil hydraulic properties by texture class and
   vegetation / imperviousness by land-use class (docs/hydrology.md gives every value and source). */
#ifndef SB_HYDRO_TABLES_H
#define SB_HYDRO_TABLES_H

#include "sbsys.h"

typedef struct {
  PetscReal porosity; /* total porosity phi (-), Rawls, Brakensiek & Miller (1983) */
  PetscReal theta_e;  /* effective porosity phi - theta_r (-), idem */
  PetscReal psi_m;    /* Green-Ampt wetting-front suction head (m), idem */
  PetscReal ks_m_s;   /* saturated hydraulic conductivity (m/s), idem */
  PetscReal theta_fc; /* water content at -33 kPa, field capacity (-), Rawls, Brakensiek & Saxton (1982) */
  PetscReal theta_wp; /* water content at -1500 kPa, wilting point (-), idem */
} SbSoilProperties;

typedef struct {
  PetscReal lai_min, lai_max; /* leaf area index in mid-January and mid-July (m²/m²) */
  PetscReal impervious;       /* sealed fraction of the cell: no soil, no infiltration (-) */
} SbLandUseProperties;

/* Properties of a soil texture class (SbSoil, 1..11); an input error naming the class otherwise. */
PETSC_EXTERN PetscErrorCode SbSoilPropertiesGet(PetscInt texture, SbSoilProperties *p);
/* Properties of a land-use class (SbLandUse, 0..7; 0, unknown, is bare pervious ground). */
PETSC_EXTERN PetscErrorCode SbLandUsePropertiesGet(PetscInt landuse, SbLandUseProperties *p);
/* Leaf area index on day of year doy (1..366): a cosine between lai_min (15 January) and lai_max
   (mid-July). */
PETSC_EXTERN PetscErrorCode SbLeafAreaIndex(const SbLandUseProperties *p, PetscInt doy, PetscReal *lai);
/* Canopy interception capacity (m) of a leaf area index, von Hoyningen-Huene (1981); 0 without
   leaves. */
PETSC_EXTERN PetscErrorCode SbCanopyCapacity(PetscReal lai, PetscReal *capacity_m);

#endif
