/* The built-in synthetic basin (`shuibao mesh synth`), shaped like the Danjiangkou catchment, the
   upper Han River above Danjiangkou dam. docs/synthetic-basin.md says what it imitates and why,
   with the real figures and their sources, and the properties measured at each cell size.

   The landscape is a function z(x, y; seed) of position in a fixed 560 km x 280 km metric frame,
   sampled at cell centres: any cell size from 90 m to 5 km is a sampling of the same landscape.
   Nothing here depends on the cell size except the sampling itself and what works on the raster:
   burning the main stem, the reservoir flood fill and the hydrological conditioning. Steps:

   1. Outline: a band around the main stem between a north and a south divide, both smooth
      functions of x with seeded wiggles, tapered at the west source and the east outlet, and
      scaled so that its area is 95,200 km².
   2. Main stem: a curve from the west end to the outlet at the east tip, with a prescribed bed
      profile (about 650 m in the west, 170 m where the reservoir begins, about 60 m at the dam)
      and valley floors that widen in the Hanzhong and Ankang basins and above the dam.
   3. Tributaries: a tree grown on a jittered 1 km lattice by a priority flood from the main stem
      over a seeded noise surface (so, like D8 on a random landscape, it is dendritic); lattice
      nodes with at least 4 km² upstream become river lines, smoothed by Catmull-Rom splines.
      Their beds rise upstream following Flint's law, S = ks A^-1/2, with a larger steepness ks
      on the north (Qinling) side than on the south (Daba Shan) side.
   4. Terrain: the lower envelope z = min_i f_i of "valley" functions, one per river segment: the
      bed elevation at the nearest point, plus a gentle valley floor out to the floor half-width,
      plus a straight hillslope beyond. The minimum of continuous functions is continuous, and
      the rivers are the valley bottoms. Peaks are bounded by a smooth saturation towards a
      regional ceiling; small-scale gradient noise roughens the slopes away from valley floors.
   5. Reservoir: the main stem is burned into the raster; cells below the normal pool level
      170 m connected to it above the dam become water at exactly 170 m.
   6. Land use and soil: rules on elevation, nominal slope, height above the valley floor,
      distance to the main stem and towns, and seeded noise patches.
   7. SbFlowCondition (seeded at the outlet, 10 km² channel threshold); gauges Ankang and Baihe
      on the D8 main stem where the share of the basin upstream is the real one; the regions
      from the D8 catchments: Ankang's (upper), Baihe's without it (middle), the rest (lower).

   The evaluation of the envelope is exact: for each block of cells, only segments that could be
   the minimum somewhere in the block are kept (bounds below), so the result is the same for any
   blocking, and the work per cell stays small.

   Determinism: hashing (splitmix64) instead of rand(), and only +, -, *, / and sqrt (correctly
   rounded in IEEE 754) in anything that produces the landscape, so the same seed gives the same
   basin bit for bit on any machine, provided a*b+c is not contracted into a fused multiply-add
   (which rounds once instead of twice): the pragmas below forbid that in this file, as
   -ffp-contract=off would (GCC contracts by default whenever the target has FMA). */
#if defined(__clang__)
  #pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
  #pragma GCC optimize("fp-contract=off")
#endif
#include "synth.h"
#include "flow.h"
#include <petsctime.h>
#include <math.h>

/* ---------------------------------------------------------------------------------------------
   Constants. Lengths in metres, elevations in metres above sea level. */

/* Frame: lon 106.2-111.8 E x lat 31.5-34.2 N, the basin extent derived in
   /work/shared/data/hanjiang/SOURCES.md §2, as about 560 km x 280 km. */
#define SYN_WIDTH_M  560000.0
#define SYN_HEIGHT_M 280000.0
/* 95,200 km²: the area above Danjiangkou dam commonly quoted (SOURCES.md §2, DESIGN.md). */
#define SYN_AREA_M2 95200.0e6
/* Normal pool level of Danjiangkou reservoir after the dam was raised (brief; SOURCES.md). */
#define SYN_POOL_M 170.0

#define SYN_MIN_CELL_M 90.0
#define SYN_MAX_CELL_M 5000.0

#define SYN_STEM_DS_M  250.0   /* spacing of the main-stem polyline */
#define SYN_LATTICE_M  1000.0  /* spacing of the lattice on which the tributary tree grows */
#define SYN_AMIN_M2    4.0e6   /* smallest upstream area drawn as a river line */
#define SYN_SEG_MAX_M  400.0   /* longest tributary segment after spline subdivision */
#define SYN_BIN_M      2000.0  /* segment index bins */
#define SYN_BLOCK_M    600.0   /* cells are evaluated in blocks about this wide */
#define SYN_FLOOR_SLOPE 0.008  /* cross slope of valley floors (0.46°) */
#define SYN_WALL_SLOPE  0.7    /* slope of the steep envelope used for the valley-floor height H */
#define SYN_H0_M        100.0  /* height above the valley floor over which roughness fades in */
#define SYN_NOISE_M     90.0   /* amplitude of the hillslope roughness */
#define SYN_NOISE_WAVE_M 2500.0 /* longest wavelength of the roughness */
#define SYN_STEM_DMAX_M 500.0  /* distances to the main stem are computed exactly up to this */
#define SYN_SMAX        0.35   /* steepest channel bed */
#define SYN_CHANNEL_M2  10.0e6 /* default channel threshold passed to SbFlowCondition */
#define SYN_BOUND_TOL_M 1e-6   /* slack on candidate bounds against round-off (a superset is harmless) */

/* Real shares of the area above the gauges (SOURCES.md §2: 39,287 and 57,598 of 94,106 km²). */
#define SYN_ANKANG_SHARE 0.4175
#define SYN_BAIHE_SHARE  0.6121

/* Piecewise tables: x in km from the west edge of the frame, value in the unit named. Positions
   follow the real river: Hanzhong 107.0 E, Ankang 109.0 E, Baihe 110.1 E, Danjiangkou 111.5 E,
   at 100 km per degree of longitude; latitudes at about 104 km per degree from 31.5 N. */
static const PetscReal stem_y_km[][2] = {
  {0, 150}, {40, 160}, {83, 163}, {135, 176}, {205, 160}, {250, 140}, {283, 124}, {317, 136}, {391, 134}, {461, 136}, {510, 124}, {535, 112}, {560, 104}
};
/* Distance from the main stem to the north divide (Qinling crest, ~33.9 N; the Dan lobe to 34.2 N). */
static const PetscReal north_km[][2] = {
  {0, 40}, {30, 47}, {100, 81}, {157, 80}, {250, 109}, {330, 121}, {370, 139}, {420, 123}, {470, 92}, {510, 80}, {560, 60}
};
/* Distance from the main stem to the south divide (Micang and Daba Shan, 32.4 N in the west, 31.5 N further east). */
static const PetscReal south_km[][2] = {
  {0, 40}, {30, 56}, {100, 75}, {180, 87}, {230, 107}, {280, 102}, {330, 131}, {390, 124}, {430, 131}, {480, 95}, {520, 50}, {560, 30}
};
/* Main-stem bed (m): Hanzhong ~480, Ankang ~270 (SOURCES.md §1 spot values, 0.02° cell means:
   475 and 297 m), Baihe ~190; below the pool level 170 m from 410 km on, the Han arm of the
   reservoir; ~60 m at the dam (crest 176.6 m and height 117 m after the heightening, as commonly
   quoted; not checked here). */
static const PetscReal stem_bed_m[][2] = {
  {0, 660}, {10, 650}, {40, 560}, {70, 490}, {140, 455}, {205, 365}, {283, 272}, {317, 248}, {391, 188}, {410, 170}, {538, 62}, {560, 58}
};
/* Channel steepness ks of Flint's law S = ks A^-1/2 (A in m²), north and south of the stem. */
static const PetscReal ks_north[][2] = {{0, 95}, {380, 95}, {520, 80}, {560, 80}};
static const PetscReal ks_south[][2] = {{0, 75}, {300, 75}, {480, 65}, {560, 65}};
/* Regional uplift (m) added to tributary beds towards each divide: the Qinling block stands
   high over the Han valley, the Daba Shan less so, the eastern hills least. */
static const PetscReal uplift_north[][2] = {{0, 650}, {400, 650}, {520, 300}, {560, 300}};
static const PetscReal uplift_south[][2] = {{0, 300}, {350, 300}, {500, 170}, {560, 170}};
/* Hillslope gradient (tan of the slope angle) north and south of the stem. */
static const PetscReal hill_north[][2] = {{0, 0.46}, {380, 0.46}, {540, 0.36}, {560, 0.36}};
static const PetscReal hill_south[][2] = {{0, 0.40}, {300, 0.40}, {500, 0.32}, {560, 0.32}};
/* Regional ceilings (m) that peaks approach: Qinling above 3,000 m (Taibai Shan 3,771 m; the
   0.02° DEM reaches 3,317 m there, SOURCES.md §1), Daba Shan 2,000-2,500 m, lower hills east. */
static const PetscReal ceil_north[][2] = {{0, 3650}, {420, 3650}, {540, 2500}, {560, 2500}};
static const PetscReal ceil_south[][2] = {{0, 2470}, {440, 2470}, {540, 1900}, {560, 1900}};

/* Towns on the main stem: x (km) and radius (km) of the built-up area. */
static const PetscReal towns_km[][2] = {
  {90, 14}, {112, 5}, {135, 5}, {205, 4}, {283, 10}, {317, 4}, {391, 4}, {461, 6}, {478, 8}, {534, 6}
};

#define NTAB(t) ((PetscInt)(sizeof(t) / sizeof((t)[0])))

/* ---------------------------------------------------------------------------------------------
   Hashing and noise. */

/* splitmix64 finaliser (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
   generators", OOPSLA; constants of Stafford's Mix13). */
static inline uint64_t Mix64(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline uint64_t Hash2(uint64_t key, int64_t a, int64_t b)
{
  return Mix64(key ^ Mix64((uint64_t)a * 0x9e3779b97f4a7c15ULL ^ Mix64((uint64_t)b + 0x632be59bd9b4e019ULL)));
}

/* Uniform in [0, 1) from the top 53 bits. */
static inline PetscReal Uniform(uint64_t key, int64_t a, int64_t b)
{
  return (PetscReal)(Hash2(key, a, b) >> 11) * (1.0 / 9007199254740992.0);
}

/* 2-D gradient noise (Perlin 2002, "Improving noise", SIGGRAPH: quintic fade), gradients from a
   fixed table of 8 unit vectors picked by hashing the lattice corner. Scaled by sqrt(2) so that
   the range is [-1, 1]. */
static inline PetscReal Noise2(uint64_t key, PetscReal x, PetscReal y)
{
  static const PetscReal g[8][2] = {
    {1, 0}, {-1, 0}, {0, 1}, {0, -1}, {0.70710678118654752, 0.70710678118654752}, {-0.70710678118654752, 0.70710678118654752}, {0.70710678118654752, -0.70710678118654752}, {-0.70710678118654752, -0.70710678118654752}
  };
  const PetscReal fx0 = floor(x), fy0 = floor(y), fx = x - fx0, fy = y - fy0;
  const int64_t   ix = (int64_t)fx0, iy = (int64_t)fy0;
  const PetscReal u = fx * fx * fx * (fx * (fx * 6 - 15) + 10), v = fy * fy * fy * (fy * (fy * 6 - 15) + 10);
  const PetscReal *g00 = g[Hash2(key, ix, iy) & 7], *g10 = g[Hash2(key, ix + 1, iy) & 7];
  const PetscReal *g01 = g[Hash2(key, ix, iy + 1) & 7], *g11 = g[Hash2(key, ix + 1, iy + 1) & 7];
  const PetscReal n00 = g00[0] * fx + g00[1] * fy, n10 = g10[0] * (fx - 1) + g10[1] * fy;
  const PetscReal n01 = g01[0] * fx + g01[1] * (fy - 1), n11 = g11[0] * (fx - 1) + g11[1] * (fy - 1);
  const PetscReal a = n00 + u * (n10 - n00), b = n01 + u * (n11 - n01);

  return 1.4142135623730951 * (a + v * (b - a));
}

/* Fractal sum of octaves (halving wavelength, amplitude times gain), normalised to [-1, 1]; x, y
   and wavelength in metres. Gain 1/2 is fractional Brownian motion with Hurst exponent 1; larger
   gains put more power in small scales (e.g. Musgrave, in Ebert et al. 2003, Texturing and
   Modeling, ch. 16). Every octave, the first included, is rotated by the exact rotation of the
   119-120-169 triangle (about 45.2°) and shifted, so that the noise lattice never lines up with
   a raster: a grid whose spacing equals a wavelength would otherwise sample every noise cell at
   the same phase and bias the shares of classes drawn from it. */
static inline PetscReal FbmGain(uint64_t key, PetscReal x, PetscReal y, PetscReal wavelength, PetscInt octaves, PetscReal gain)
{
  const PetscReal c = 119.0 / 169.0, s = 120.0 / 169.0;
  PetscReal       sum = 0, norm = 0, amp = 1, px = (c * x - s * y) / wavelength, py = (s * x + c * y) / wavelength;

  for (PetscInt o = 0; o < octaves; o++) {
    const uint64_t k = Mix64(key + (uint64_t)o);

    sum += amp * Noise2(k, px + (PetscReal)(k & 1023) * 0.1, py + (PetscReal)((k >> 10) & 1023) * 0.1);
    norm += amp;
    amp *= gain;
    {
      const PetscReal qx = 2 * (c * px - s * py), qy = 2 * (s * px + c * py);

      px = qx;
      py = qy;
    }
  }
  return sum / norm;
}

static inline PetscReal Fbm(uint64_t key, PetscReal x, PetscReal y, PetscReal wavelength, PetscInt octaves)
{
  return FbmGain(key, x, y, wavelength, octaves, 0.5);
}

/* ---------------------------------------------------------------------------------------------
   Small helpers. */

static inline PetscReal Clamp(PetscReal v, PetscReal lo, PetscReal hi)
{
  return v < lo ? lo : (v > hi ? hi : v);
}

static inline PetscReal Smoothstep(PetscReal t)
{
  t = Clamp(t, 0, 1);
  return t * t * (3 - 2 * t);
}

/* Smooth bump, 1 at u = 0, 0 for |u| >= 1 (C1). */
static inline PetscReal Bump(PetscReal u)
{
  const PetscReal q = 1 - u * u;

  return q > 0 ? q * q : 0;
}

/* Piecewise-linear interpolation in a table of (x_km, value); clamped at both ends. */
static PetscReal TableLinear(const PetscReal t[][2], PetscInt n, PetscReal x_m)
{
  const PetscReal x = x_m / 1000.0;

  if (x <= t[0][0]) return t[0][1];
  for (PetscInt j = 0; j < n - 1; j++)
    if (x <= t[j + 1][0]) return t[j][1] + (t[j + 1][1] - t[j][1]) * (x - t[j][0]) / (t[j + 1][0] - t[j][0]);
  return t[n - 1][1];
}

/* Cubic Hermite interpolation with finite-difference tangents (Catmull-Rom on a non-uniform grid,
   e.g. Fritsch & Carlson 1980, SIAM J. Numer. Anal. 17:238, eq. 2 without their monotone limiter);
   C1, clamped at both ends. */
static PetscReal TableSmooth(const PetscReal t[][2], PetscInt n, PetscReal x_m)
{
  const PetscReal x = x_m / 1000.0;

  if (x <= t[0][0]) return t[0][1];
  for (PetscInt j = 0; j < n - 1; j++)
    if (x <= t[j + 1][0]) {
      const PetscReal h  = t[j + 1][0] - t[j][0], s = (x - t[j][0]) / h;
      const PetscReal d0 = j > 0 ? (t[j + 1][1] - t[j - 1][1]) / (t[j + 1][0] - t[j - 1][0]) : (t[j + 1][1] - t[j][1]) / h;
      const PetscReal d1 = j + 2 < n ? (t[j + 2][1] - t[j][1]) / (t[j + 2][0] - t[j][0]) : (t[j + 1][1] - t[j][1]) / h;
      const PetscReal s2 = s * s, s3 = s2 * s;

      return (2 * s3 - 3 * s2 + 1) * t[j][1] + (s3 - 2 * s2 + s) * h * d0 + (-2 * s3 + 3 * s2) * t[j + 1][1] + (s3 - s2) * h * d1;
    }
  return t[n - 1][1];
}

/* Saturation of elevations above the knee K towards the ceiling C: K + (C-K) u / sqrt(1+u²),
   u = (z-K)/(C-K); monotone, continuous, and never reaches C. deriv = dz'/dz. */
static inline PetscReal Saturate(PetscReal z, PetscReal K, PetscReal C, PetscReal *deriv)
{
  PetscReal u, q;

  if (z <= K) {
    *deriv = 1;
    return z;
  }
  u      = (z - K) / (C - K);
  q      = PetscSqrtReal(1 + u * u);
  *deriv = 1 / (q * q * q);
  return K + (C - K) * u / q;
}

/* ---------------------------------------------------------------------------------------------
   The landscape. */

/* One straight piece of river: bed elevation linear along it. */
typedef struct {
  PetscReal ax, ay, ex, ey; /* start point, and end minus start */
  PetscReal inv_len2;       /* 1 / |end - start|² */
  PetscReal za, dz;         /* bed at the start, change to the end */
  PetscReal grad;           /* |dz| / length: bound on the bed change per metre of projection */
  PetscReal w, m;           /* valley-floor half-width (m), hillslope gradient (m/m) */
  PetscReal area_km2;       /* upstream area of the river there */
  PetscInt  stem;           /* 1 on the main stem */
} Segment;

typedef struct {
  uint64_t  key;     /* hash of the seed */
  PetscReal scale;   /* factor on the divide distances that gives the target area */
  PetscReal xw, xe;  /* west and east tips of the outline */
  PetscReal xdam;    /* the dam: reservoir cells lie west of it */
  /* main stem polyline, x increasing */
  PetscInt   nstem;
  PetscReal *stem_x, *stem_y, *stem_z;
  PetscReal  town_x[NTAB(towns_km)], town_y[NTAB(towns_km)];
  /* river segments and their index */
  Segment   *seg;
  PetscInt   nseg, capseg;
  PetscInt   nbx, nby;
  PetscInt  *bin_start, *bin_list;
  PetscReal *bin_zmin, *bin_wmax, *bin_mmin, *bin_gmax, *bin_hl;
  PetscInt  *bin_nstem;
  PetscReal  zmin, wmax, mmin, gmax, hlmax;
} Synth;

/* Salts of the independent noise fields. */
enum { SALT_STEM = 1, SALT_NORTH, SALT_SOUTH, SALT_JITTER_X, SALT_JITTER_Y, SALT_TREE, SALT_HILL, SALT_ROUGH, SALT_CROP, SALT_SHRUB, SALT_PATCH, SALT_SOIL };

static inline uint64_t FieldKey(const Synth *S, uint64_t salt)
{
  return Mix64(S->key ^ (salt * 0xd1b54a32d192ed03ULL));
}

/* Main-stem centre line y(x): the real course plus seeded meanders of a few km. */
static PetscReal StemY(const Synth *S, PetscReal x)
{
  return 1000.0 * TableSmooth(stem_y_km, NTAB(stem_y_km), x) + 3500.0 * Fbm(FieldKey(S, SALT_STEM), x, 0.5 * SYN_WIDTH_M, 40000.0, 3);
}

/* North and south divides at x; north < south when x is outside the basin's x-range. */
static void Divides(const Synth *S, PetscReal x, PetscReal yc, PetscReal *yn, PetscReal *ys)
{
  const PetscReal Lw = 30000.0, Le = 25000.0;
  const PetscReal sw = Clamp((x - S->xw) / Lw, 0, 1), se = Clamp((S->xe - x) / Le, 0, 1);
  PetscReal       taper, dn, ds;

  if (x <= S->xw || x >= S->xe) {
    *yn = -1;
    *ys = 1;
    return;
  }
  /* Elliptic rounding of both tips. */
  taper = PetscSqrtReal((1 - (1 - sw) * (1 - sw)) * (1 - (1 - se) * (1 - se)));
  dn    = 1000.0 * TableSmooth(north_km, NTAB(north_km), x) * (1 + 0.14 * Fbm(FieldKey(S, SALT_NORTH), x, 0, 60000.0, 4));
  ds    = 1000.0 * TableSmooth(south_km, NTAB(south_km), x) * (1 + 0.14 * Fbm(FieldKey(S, SALT_SOUTH), x, 0, 60000.0, 4));
  *yn   = PetscMin(yc + S->scale * dn * taper, SYN_HEIGHT_M - 2000.0);
  *ys   = PetscMax(yc - S->scale * ds * taper, 2000.0);
}

/* Weight of the north-side parameters: 0 south of the stem, 1 north, blended over 20 km. */
static inline PetscReal NorthWeight(PetscReal y, PetscReal yc)
{
  return Smoothstep((y - yc + 10000.0) / 20000.0);
}

/* Hillslope gradient at (x, y): regional value with +-18% seeded variation. */
static PetscReal Hillslope(const Synth *S, PetscReal x, PetscReal y, PetscReal yc)
{
  const PetscReal nw = NorthWeight(y, yc);
  const PetscReal m  = (1 - nw) * TableLinear(hill_south, NTAB(hill_south), x) + nw * TableLinear(hill_north, NTAB(hill_north), x);

  return m * (1 + 0.18 * Fbm(FieldKey(S, SALT_HILL), x, y, 30000.0, 2));
}

static void Ceiling(PetscReal x, PetscReal y, PetscReal yc, PetscReal *K, PetscReal *C)
{
  const PetscReal nw = NorthWeight(y, yc);

  *C = (1 - nw) * TableLinear(ceil_south, NTAB(ceil_south), x) + nw * TableLinear(ceil_north, NTAB(ceil_north), x);
  *K = *C - 900.0;
}

/* Regional uplift at (x, y): rises with the relative distance from the stem to the divide. */
static PetscReal Uplift(const Synth *S, PetscReal x, PetscReal y)
{
  const PetscReal yc = StemY(S, x);
  PetscReal       yn, ys, v;

  Divides(S, x, yc, &yn, &ys);
  if (yn <= ys) return 0;
  if (y >= yc) {
    v = Clamp((y - yc) / (yn - yc), 0, 1);
    return TableLinear(uplift_north, NTAB(uplift_north), x) * Smoothstep(v);
  }
  v = Clamp((yc - y) / (yc - ys), 0, 1);
  return TableLinear(uplift_south, NTAB(uplift_south), x) * Smoothstep(v);
}

/* Valley-floor half-width of the main stem: ~500 m, wide in the Hanzhong basin (about 100 km long
   and up to 20 km wide) and the Ankang basin, wider in the lower reaches, narrow at the dam. */
static inline PetscReal StemFloor(PetscReal x)
{
  const PetscReal km = x / 1000.0;

  return 500.0 + 6500.0 * Bump((km - 100.0) / 40.0) + 1800.0 * Bump((km - 283.0) / 14.0) + 2800.0 * Bump((km - 480.0) / 75.0);
}

/* Half-width of the main-stem water surface with its bars, 100 m at the source to 350 m. */
static inline PetscReal StemChannelHalfWidth(const Synth *S, PetscReal x)
{
  return 100.0 + 250.0 * Clamp((x - S->xw) / (S->xdam - S->xw), 0, 1);
}

/* Nearest point of the main stem polyline to (x, y), the bed there and the distance. The stem is
   a graph over x, so no point farther than |y - y_stem(x)| in x can be nearer. */
static void StemProject(const Synth *S, PetscReal x, PetscReal y, PetscReal *px, PetscReal *py, PetscReal *pz, PetscReal *dist)
{
  const PetscReal yc     = StemY(S, Clamp(x, S->stem_x[0], S->stem_x[S->nstem - 1]));
  const PetscReal window = PetscAbsReal(y - yc) + 2 * SYN_STEM_DS_M;
  const PetscInt  i0 = (PetscInt)PetscMax(0, floor((x - window - S->stem_x[0]) / SYN_STEM_DS_M)), i1 = (PetscInt)PetscMin(S->nstem - 2, ceil((x + window - S->stem_x[0]) / SYN_STEM_DS_M));
  PetscReal       best   = PETSC_MAX_REAL;

  for (PetscInt i = PetscMin(i0, S->nstem - 2); i <= PetscMax(i1, 0); i++) {
    const PetscReal ex = S->stem_x[i + 1] - S->stem_x[i], ey = S->stem_y[i + 1] - S->stem_y[i];
    const PetscReal t  = Clamp(((x - S->stem_x[i]) * ex + (y - S->stem_y[i]) * ey) / (ex * ex + ey * ey), 0, 1);
    const PetscReal qx = S->stem_x[i] + t * ex, qy = S->stem_y[i] + t * ey;
    const PetscReal d2 = (x - qx) * (x - qx) + (y - qy) * (y - qy);

    if (d2 < best) {
      best = d2;
      *px  = qx;
      *py  = qy;
      *pz  = S->stem_z[i] + t * (S->stem_z[i + 1] - S->stem_z[i]);
    }
  }
  *dist = PetscSqrtReal(best);
}

static PetscErrorCode AddSegment(Synth *S, PetscReal ax, PetscReal ay, PetscReal za, PetscReal bx, PetscReal by, PetscReal zb, PetscReal w, PetscReal m, PetscReal area_km2, PetscInt stem)
{
  Segment  *s;
  PetscReal len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay);

  PetscFunctionBeginUser;
  if (len2 < 1e-6) PetscFunctionReturn(PETSC_SUCCESS);
  if (S->nseg == S->capseg) {
    S->capseg = S->capseg ? 2 * S->capseg : 4096;
    PetscCall(PetscRealloc(S->capseg * sizeof(Segment), &S->seg));
  }
  s           = &S->seg[S->nseg++];
  s->ax       = ax;
  s->ay       = ay;
  s->ex       = bx - ax;
  s->ey       = by - ay;
  s->inv_len2 = 1 / len2;
  s->za       = za;
  s->dz       = zb - za;
  s->grad     = PetscAbsReal(zb - za) / PetscSqrtReal(len2);
  s->w        = w;
  s->m        = m;
  s->area_km2 = area_km2;
  s->stem     = stem;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Outline scale so that the area between the divides is SYN_AREA_M2 (midpoint rule, 100 m). */
static PetscErrorCode SynthOutline(Synth *S)
{
  const PetscReal dx = 100.0;

  PetscFunctionBeginUser;
  S->xw    = 4000.0;
  S->xe    = 552000.0;
  S->xdam  = S->xe - 10000.0;
  S->scale = 1;
  /* The area is linear in the scale except where a divide meets the frame margin: iterate. */
  for (PetscInt it = 0; it < 6; it++) {
    PetscReal area = 0;

    for (PetscReal x = S->xw + 0.5 * dx; x < S->xe; x += dx) {
      PetscReal yn, ys;

      Divides(S, x, StemY(S, x), &yn, &ys);
      if (yn > ys) area += (yn - ys) * dx;
    }
    S->scale *= SYN_AREA_M2 / area;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The main stem as a polyline from near the west tip to the east tip (the outlet). */
static PetscErrorCode SynthStem(Synth *S)
{
  const PetscReal x0 = S->xw + 6000.0, x1 = S->xe;

  PetscFunctionBeginUser;
  S->nstem = (PetscInt)floor((x1 - x0) / SYN_STEM_DS_M) + 1;
  PetscCall(PetscMalloc3(S->nstem, &S->stem_x, S->nstem, &S->stem_y, S->nstem, &S->stem_z));
  for (PetscInt i = 0; i < S->nstem; i++) {
    S->stem_x[i] = x0 + i * SYN_STEM_DS_M;
    S->stem_y[i] = StemY(S, S->stem_x[i]);
    S->stem_z[i] = TableLinear(stem_bed_m, NTAB(stem_bed_m), S->stem_x[i]);
  }
  for (PetscInt t = 0; t < NTAB(towns_km); t++) {
    S->town_x[t] = 1000.0 * towns_km[t][0];
    S->town_y[t] = StemY(S, S->town_x[t]);
  }
  for (PetscInt i = 0; i + 1 < S->nstem; i++) {
    const PetscReal xm = 0.5 * (S->stem_x[i] + S->stem_x[i + 1]), ym = 0.5 * (S->stem_y[i] + S->stem_y[i + 1]);

    PetscCall(AddSegment(S, S->stem_x[i], S->stem_y[i], S->stem_z[i], S->stem_x[i + 1], S->stem_y[i + 1], S->stem_z[i + 1], StemFloor(xm), Hillslope(S, xm, ym, ym), SYN_AREA_M2 / 1e6, 1));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Binary min-heap on (level, tie, index) for the priority flood on the lattice; fully ordered,
   so the tree never depends on the platform. */
typedef struct {
  PetscReal level, tie;
  PetscInt  i;
} LItem;

static inline PetscBool LLess(const LItem *a, const LItem *b)
{
  if (a->level != b->level) return a->level < b->level ? PETSC_TRUE : PETSC_FALSE;
  if (a->tie != b->tie) return a->tie < b->tie ? PETSC_TRUE : PETSC_FALSE;
  return a->i < b->i ? PETSC_TRUE : PETSC_FALSE;
}

static void LPush(LItem *h, PetscInt *n, LItem it)
{
  PetscInt k;

  for (k = (*n)++; k > 0 && LLess(&it, &h[(k - 1) / 2]); k = (k - 1) / 2) h[k] = h[(k - 1) / 2];
  h[k] = it;
}

static LItem LPop(LItem *h, PetscInt *n)
{
  const LItem top = h[0], last = h[--(*n)];
  PetscInt    k   = 0;

  for (;;) {
    PetscInt c = 2 * k + 1;

    if (c >= *n) break;
    if (c + 1 < *n && LLess(&h[c + 1], &h[c])) c++;
    if (!LLess(&h[c], &last)) break;
    h[k] = h[c];
    k    = c;
  }
  if (*n) h[k] = last;
  return top;
}

/* Catmull-Rom spline (Catmull & Rom 1974) through the chain of points q[0..k] with bed
   elevations z[], each span cut into pieces of at most SYN_SEG_MAX_M; areas a[] per span. */
static PetscErrorCode AddSplineChain(Synth *S, PetscInt k, const PetscReal *qx, const PetscReal *qy, const PetscReal *qz, const PetscReal *qa)
{
  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < k; j++) {
    const PetscReal p0x = j > 0 ? qx[j - 1] : 2 * qx[0] - qx[1], p0y = j > 0 ? qy[j - 1] : 2 * qy[0] - qy[1];
    const PetscReal p3x = j + 2 <= k ? qx[j + 2] : 2 * qx[k] - qx[k - 1], p3y = j + 2 <= k ? qy[j + 2] : 2 * qy[k] - qy[k - 1];
    const PetscReal p1x = qx[j], p1y = qy[j], p2x = qx[j + 1], p2y = qy[j + 1];
    const PetscReal len  = PetscSqrtReal((p2x - p1x) * (p2x - p1x) + (p2y - p1y) * (p2y - p1y));
    const PetscInt  nsub = PetscMax(1, (PetscInt)ceil(len / SYN_SEG_MAX_M));
    const PetscReal w    = PetscMin(1500.0, 15.0 * PetscSqrtReal(qa[j])); /* valley floor ~ A^1/2 */
    PetscReal       x0 = p1x, y0 = p1y, z0 = qz[j];

    for (PetscInt s = 1; s <= nsub; s++) {
      const PetscReal t = (PetscReal)s / nsub, t2 = t * t, t3 = t2 * t;
      const PetscReal x1 = 0.5 * (2 * p1x + (p2x - p0x) * t + (2 * p0x - 5 * p1x + 4 * p2x - p3x) * t2 + (3 * p1x - p0x - 3 * p2x + p3x) * t3);
      const PetscReal y1 = 0.5 * (2 * p1y + (p2y - p0y) * t + (2 * p0y - 5 * p1y + 4 * p2y - p3y) * t2 + (3 * p1y - p0y - 3 * p2y + p3y) * t3);
      const PetscReal z1 = qz[j] + t * (qz[j + 1] - qz[j]);
      const PetscReal xm = 0.5 * (x0 + x1), ym = 0.5 * (y0 + y1);

      PetscCall(AddSegment(S, x0, y0, z0, x1, y1, z1, w, Hillslope(S, xm, ym, StemY(S, xm)), qa[j], 0));
      x0 = x1;
      y0 = y1;
      z0 = z1;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The tributary tree: a priority flood (Barnes, Lehman & Mulla 2014, Computers & Geosciences
   62:117) from the main stem over a seeded surface P on a jittered lattice; each node drains to
   the node it was reached from. P rises away from the stem with multi-scale noise, so the tree
   is that of D8 on a rough surface: dendritic, with large tributaries along the broad lows.
   The lattice is turned by the 119-120-169 rotation about the frame centre: aligned with the
   frame, a raster of 1 km cells would sample at the lattice nodes and one of 2 km at the
   lattice corners, and their land-use shares would differ by a few tenths of a percent. */
static PetscErrorCode SynthTributaries(Synth *S)
{
  const PetscReal h = SYN_LATTICE_M, cell_area = h * h, rc = 119.0 / 169.0, rs = 120.0 / 169.0;
  const PetscInt  nlx = (PetscInt)ceil(PetscSqrtReal(SYN_WIDTH_M * SYN_WIDTH_M + SYN_HEIGHT_M * SYN_HEIGHT_M) / h) + 2, nly = nlx, n = nlx * nly;
  const uint64_t  kjx = FieldKey(S, SALT_JITTER_X), kjy = FieldKey(S, SALT_JITTER_Y), ktree = FieldKey(S, SALT_TREE);
  PetscReal      *px, *py, *P, *level, *area, *z, *U, *qx, *qy, *qz, *qa;
  PetscInt       *state, *parent, *order, *mainc;
  PetscInt        norder = 0, nheap = 0, maxchain = 0;
  LItem          *heap;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5(n, &px, n, &py, n, &P, n, &level, n, &area));
  PetscCall(PetscMalloc4(n, &state, n, &parent, n, &order, n, &mainc));
  PetscCall(PetscMalloc2(n, &z, n, &U));
  PetscCall(PetscMalloc1(n, &heap));

  /* Nodes: 0 ordinary, 1 on the main stem (the sink), -1 outside the basin or unused. */
  for (PetscInt j = 0; j < nly; j++)
    for (PetscInt i = 0; i < nlx; i++) {
      const PetscInt  k = j * nlx + i;
      const PetscReal u = (i + 0.5 + 0.6 * (Uniform(kjx, i, j) - 0.5) - 0.5 * nlx) * h, v = (j + 0.5 + 0.6 * (Uniform(kjy, i, j) - 0.5) - 0.5 * nly) * h;
      PetscReal       yn, ys, sx, sy, sz, d;

      px[k]     = 0.5 * SYN_WIDTH_M + rc * u - rs * v;
      py[k]     = 0.5 * SYN_HEIGHT_M + rs * u + rc * v;
      parent[k] = -1;
      mainc[k]  = -1;
      area[k]   = 0;
      z[k]      = 0;
      state[k]  = -1;
      if (px[k] < 0 || px[k] > SYN_WIDTH_M || py[k] < 0 || py[k] > SYN_HEIGHT_M) continue;
      Divides(S, px[k], StemY(S, px[k]), &yn, &ys);
      if (px[k] < S->xw + h || px[k] > S->xe - h || py[k] < ys + 0.5 * h || py[k] > yn - 0.5 * h) continue;
      StemProject(S, px[k], py[k], &sx, &sy, &sz, &d);
      if (d < 0.75 * h) {
        /* Below the dam no tributary joins: the outlet reach stays short and plain. */
        if (px[k] < S->xdam - 2000.0) state[k] = 1;
        continue;
      }
      state[k] = 0;
      U[k]     = Uplift(S, px[k], py[k]);
      /* Rises 1 per km away from the stem, plus noise from 80 km down to 1.25 km wavelength whose
         gradients beat the trend locally but not over the basin; gain 0.7 keeps enough power at
         small scales for first-order streams to converge rather than run in parallel. */
      P[k] = d / 1000.0 + 40.0 * FbmGain(ktree, px[k], py[k], 80000.0, 7, 0.7);
    }

  for (PetscInt k = 0; k < n; k++)
    if (state[k] == 1) {
      LItem it = {0, 0, k};

      level[k] = 0;
      LPush(heap, &nheap, it);
    }
  while (nheap) {
    const LItem    it = LPop(heap, &nheap);
    const PetscInt c = it.i, ci = c % nlx, cj = c / nlx;

    order[norder++] = c;
    for (PetscInt dj = -1; dj <= 1; dj++)
      for (PetscInt di = -1; di <= 1; di++) {
        const PetscInt ii = ci + di, jj = cj + dj;
        PetscInt       k;
        LItem          nb;

        if ((!di && !dj) || ii < 0 || jj < 0 || ii >= nlx || jj >= nly) continue;
        k = jj * nlx + ii;
        if (state[k] != 0 || parent[k] != -1) continue;
        parent[k] = c;
        level[k]  = PetscMax(P[k], level[c]);
        nb.level  = level[k];
        nb.tie    = P[k];
        nb.i      = k;
        LPush(heap, &nheap, nb);
      }
  }
  for (PetscInt k = 0; k < n; k++)
    if (state[k] == 0 && parent[k] == -1) state[k] = -1; /* not reachable from the stem */

  /* Upstream areas: children are popped after their parents. */
  for (PetscInt o = 0; o < norder; o++) area[order[o]] = cell_area;
  for (PetscInt o = norder - 1; o >= 0; o--) {
    const PetscInt c = order[o];

    if (state[c] == 0 && state[parent[c]] == 0) area[parent[c]] += area[c];
  }

  /* Bed elevations from the stem upwards, Flint (1974, Water Resour. Res. 10:969) with the
     concavity 1/2 (within the usual 0.4-0.6, e.g. Kirby & Whipple 2012, J. Struct. Geol. 44:54),
     plus any rise of the regional uplift along the edge (never a fall, so beds stay monotone). */
  for (PetscInt o = 0; o < norder; o++) {
    const PetscInt  c = order[o];
    PetscReal       ks, nw, yc, S_bed, dist, zdown;

    if (state[c] != 0 || area[c] < SYN_AMIN_M2) continue;
    yc = StemY(S, px[c]);
    nw = NorthWeight(py[c], yc);
    ks = (1 - nw) * TableLinear(ks_south, NTAB(ks_south), px[c]) + nw * TableLinear(ks_north, NTAB(ks_north), px[c]);
    S_bed = PetscMin(SYN_SMAX, ks / PetscSqrtReal(area[c]));
    if (state[parent[c]] == 1) {
      PetscReal sx, sy;

      StemProject(S, px[c], py[c], &sx, &sy, &zdown, &dist);
      zdown += U[c];
    } else {
      const PetscInt p = parent[c];

      zdown = z[p] + PetscMax(0, U[c] - U[p]);
      dist  = PetscSqrtReal((px[c] - px[p]) * (px[c] - px[p]) + (py[c] - py[p]) * (py[c] - py[p]));
    }
    z[c] = zdown + S_bed * dist;
  }

  /* The main child of a river node is its river child of largest area; ties to the lower index. */
  for (PetscInt o = 0; o < norder; o++) {
    const PetscInt c = order[o], p = parent[c];

    if (state[c] != 0 || area[c] < SYN_AMIN_M2 || state[p] != 0) continue;
    if (mainc[p] < 0 || area[c] > area[mainc[p]] || (area[c] == area[mainc[p]] && c < mainc[p])) mainc[p] = c;
  }

  /* Streams: from every head down its parents while it stays the main child; a side stream ends
     at the confluence node, a stream reaching the main stem at its projection on the stem. */
  for (PetscInt o = 0; o < norder; o++) {
    const PetscInt c = order[o];
    PetscInt       len = 1;

    if (state[c] != 0 || area[c] < SYN_AMIN_M2 || mainc[c] >= 0) continue;
    for (PetscInt k = c; state[parent[k]] == 0; k = parent[k]) {
      len++;
      if (mainc[parent[k]] != k) break;
    }
    maxchain = PetscMax(maxchain, len + 1);
  }
  PetscCall(PetscMalloc4(maxchain, &qx, maxchain, &qy, maxchain, &qz, maxchain, &qa));
  for (PetscInt o = 0; o < norder; o++) {
    const PetscInt c = order[o];
    PetscInt       k = c, len = 0;

    if (state[c] != 0 || area[c] < SYN_AMIN_M2 || mainc[c] >= 0) continue;
    for (;;) {
      qx[len] = px[k];
      qy[len] = py[k];
      qz[len] = z[k];
      qa[len] = area[k] / 1e6;
      len++;
      if (state[parent[k]] == 1) {
        PetscReal d;

        StemProject(S, px[k], py[k], &qx[len], &qy[len], &qz[len], &d);
        qa[len] = area[k] / 1e6;
        len++;
        break;
      }
      {
        const PetscInt p = parent[k];

        if (mainc[p] != k) {
          qx[len] = px[p];
          qy[len] = py[p];
          qz[len] = z[p];
          qa[len] = area[p] / 1e6;
          len++;
          break;
        }
        k = p;
      }
    }
    PetscCall(AddSplineChain(S, len - 1, qx, qy, qz, qa));
  }

  PetscCall(PetscFree4(qx, qy, qz, qa));
  PetscCall(PetscFree(heap));
  PetscCall(PetscFree2(z, U));
  PetscCall(PetscFree4(state, parent, order, mainc));
  PetscCall(PetscFree5(px, py, P, level, area));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Bin the segments by midpoint, with per-bin bounds used to skip whole bins. */
static PetscErrorCode SynthIndex(Synth *S)
{
  PetscInt nb;

  PetscFunctionBeginUser;
  S->nbx = (PetscInt)ceil(SYN_WIDTH_M / SYN_BIN_M);
  S->nby = (PetscInt)ceil(SYN_HEIGHT_M / SYN_BIN_M);
  nb     = S->nbx * S->nby;
  PetscCall(PetscCalloc2(nb + 1, &S->bin_start, S->nseg, &S->bin_list));
  PetscCall(PetscMalloc6(nb, &S->bin_zmin, nb, &S->bin_wmax, nb, &S->bin_mmin, nb, &S->bin_gmax, nb, &S->bin_hl, nb, &S->bin_nstem));
  for (PetscInt b = 0; b < nb; b++) {
    S->bin_zmin[b]  = PETSC_MAX_REAL;
    S->bin_mmin[b]  = PETSC_MAX_REAL;
    S->bin_wmax[b]  = 0;
    S->bin_gmax[b]  = 0;
    S->bin_hl[b]    = 0;
    S->bin_nstem[b] = 0;
  }
  S->zmin  = PETSC_MAX_REAL;
  S->mmin  = PETSC_MAX_REAL;
  S->wmax  = 0;
  S->gmax  = 0;
  S->hlmax = 0;
  for (PetscInt s = 0; s < S->nseg; s++) {
    const Segment  *g  = &S->seg[s];
    const PetscReal mx = g->ax + 0.5 * g->ex, my = g->ay + 0.5 * g->ey, hl = 0.5 / PetscSqrtReal(g->inv_len2);
    const PetscInt  bx = (PetscInt)Clamp(floor(mx / SYN_BIN_M), 0, S->nbx - 1), by = (PetscInt)Clamp(floor(my / SYN_BIN_M), 0, S->nby - 1), b = by * S->nbx + bx;

    S->bin_start[b + 1]++;
    S->bin_zmin[b] = PetscMin(S->bin_zmin[b], PetscMin(g->za, g->za + g->dz));
    S->bin_mmin[b] = PetscMin(S->bin_mmin[b], g->m);
    S->bin_wmax[b] = PetscMax(S->bin_wmax[b], g->w);
    S->bin_gmax[b] = PetscMax(S->bin_gmax[b], g->grad);
    S->bin_hl[b]   = PetscMax(S->bin_hl[b], hl);
    if (g->stem) S->bin_nstem[b]++;
    S->zmin  = PetscMin(S->zmin, PetscMin(g->za, g->za + g->dz));
    S->mmin  = PetscMin(S->mmin, g->m);
    S->wmax  = PetscMax(S->wmax, g->w);
    S->gmax  = PetscMax(S->gmax, g->grad);
    S->hlmax = PetscMax(S->hlmax, hl);
  }
  PetscCheck(S->mmin > SYN_FLOOR_SLOPE && S->mmin < SYN_WALL_SLOPE, PETSC_COMM_SELF, PETSC_ERR_PLIB, "synth: hillslope gradient %g outside (%g, %g)", (double)S->mmin, SYN_FLOOR_SLOPE, SYN_WALL_SLOPE);
  for (PetscInt b = 0; b < nb; b++) S->bin_start[b + 1] += S->bin_start[b];
  {
    PetscInt *fill;

    PetscCall(PetscCalloc1(nb, &fill));
    for (PetscInt s = 0; s < S->nseg; s++) {
      const Segment  *g  = &S->seg[s];
      const PetscReal mx = g->ax + 0.5 * g->ex, my = g->ay + 0.5 * g->ey;
      const PetscInt  bx = (PetscInt)Clamp(floor(mx / SYN_BIN_M), 0, S->nbx - 1), by = (PetscInt)Clamp(floor(my / SYN_BIN_M), 0, S->nby - 1), b = by * S->nbx + bx;

      S->bin_list[S->bin_start[b] + fill[b]++] = s;
    }
    PetscCall(PetscFree(fill));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Valley function of one segment at (x, y): f = bed + floor + hillslope, F the same with the
   steep wall slope instead of the hillslope; d the distance to the segment. */
static inline void SegmentEval(const Segment *g, PetscReal x, PetscReal y, PetscReal *f, PetscReal *F, PetscReal *d)
{
  const PetscReal rx = x - g->ax, ry = y - g->ay;
  const PetscReal t  = Clamp((rx * g->ex + ry * g->ey) * g->inv_len2, 0, 1);
  const PetscReal qx = rx - t * g->ex, qy = ry - t * g->ey;
  const PetscReal dd = PetscSqrtReal(qx * qx + qy * qy);
  const PetscReal zc = g->za + t * g->dz;
  const PetscReal fl = zc + SYN_FLOOR_SLOPE * PetscMin(dd, g->w), beyond = PetscMax(0, dd - g->w);

  *f = fl + g->m * beyond;
  *F = fl + SYN_WALL_SLOPE * beyond;
  *d = dd;
}

/* Lower bound of the valley function of any segment at distance >= d (with floor half-width at
   most w, hillslope at least m): the floor slope is the smaller one. */
static inline PetscReal ValleyLower(PetscReal d, PetscReal w, PetscReal m)
{
  return SYN_FLOOR_SLOPE * PetscMin(d, w) + m * PetscMax(0, d - w);
}

/* Candidate segments of a block of cells: flag bit 1 = may give the envelope minimum somewhere
   in the block, bit 2 = may give F below the envelope + SYN_H0_M there. */
typedef struct {
  PetscInt  *seg, n;      /* envelope and valley-floor candidates */
  int       *flag;
  PetscReal *lo_f, *lo_F; /* lower bounds of f and F over the block */
  PetscInt  *stem, nstem; /* main-stem segments within SYN_STEM_DMAX_M */
  PetscInt   cap;
} Candidates;

static PetscErrorCode CandidatesGrow(Candidates *c, PetscInt need)
{
  PetscFunctionBeginUser;
  if (need <= c->cap) PetscFunctionReturn(PETSC_SUCCESS);
  c->cap = PetscMax(2 * c->cap, need);
  PetscCall(PetscRealloc(c->cap * sizeof(PetscInt), &c->seg));
  PetscCall(PetscRealloc(c->cap * sizeof(int), &c->flag));
  PetscCall(PetscRealloc(c->cap * sizeof(PetscReal), &c->lo_f));
  PetscCall(PetscRealloc(c->cap * sizeof(PetscReal), &c->lo_F));
  PetscCall(PetscRealloc(c->cap * sizeof(PetscInt), &c->stem));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CandidatesDestroy(Candidates *c)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(c->seg));
  PetscCall(PetscFree(c->flag));
  PetscCall(PetscFree(c->lo_f));
  PetscCall(PetscFree(c->lo_F));
  PetscCall(PetscFree(c->stem));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Segments that can give the minimum of f, or a value of F below min f + SYN_H0_M, anywhere in
   the disc of radius r around (cx, cy). For a segment whose distance from the centre is d_c and
   bed at the projected point z_c, every point of the disc has
     z_c - grad r + valley(max(0, d_c - r)) <= f <= z_c + grad r + valley(d_c + r)
   because the projection onto a segment moves at most as far as the point does, and the same
   with the wall slope for F. U is the smallest upper bound of f over the disc. */
static PetscErrorCode BlockCandidates(const Synth *S, PetscReal cx, PetscReal cy, PetscReal r, Candidates *cand)
{
  const PetscInt bx = (PetscInt)Clamp(floor(cx / SYN_BIN_M), 0, S->nbx - 1), by = (PetscInt)Clamp(floor(cy / SYN_BIN_M), 0, S->nby - 1);
  PetscReal      U  = PETSC_MAX_REAL, R, excess;
  PetscInt       ring, nb, keep = 0;

  PetscFunctionBeginUser;
  /* A first U from the nearest rings of bins that hold segments. */
  for (ring = 1; U == PETSC_MAX_REAL && ring <= PetscMax(S->nbx, S->nby); ring++)
    for (PetscInt j = PetscMax(0, by - ring); j <= PetscMin(S->nby - 1, by + ring); j++)
      for (PetscInt i = PetscMax(0, bx - ring); i <= PetscMin(S->nbx - 1, bx + ring); i++) {
        const PetscInt b = j * S->nbx + i;

        for (PetscInt q = S->bin_start[b]; q < S->bin_start[b + 1]; q++) {
          const Segment *g = &S->seg[S->bin_list[q]];
          PetscReal      f, F, d;

          SegmentEval(g, cx, cy, &f, &F, &d);
          U = PetscMin(U, f + (g->grad + g->m) * r); /* f grows at most this fast */
        }
      }
  /* Radius beyond which no segment can get below U + H0: the global lower bound exceeds it. */
  excess = U + SYN_H0_M + SYN_BOUND_TOL_M - (S->zmin - S->gmax * r);
  if (excess <= SYN_FLOOR_SLOPE * S->wmax) R = excess / SYN_FLOOR_SLOPE;
  else R = S->wmax + (excess - SYN_FLOOR_SLOPE * S->wmax) / S->mmin;
  R  = PetscMax(R + r + S->hlmax, SYN_STEM_DMAX_M + r + S->hlmax);
  nb = (PetscInt)ceil(R / SYN_BIN_M) + 1;

  cand->n     = 0;
  cand->nstem = 0;
  for (PetscInt j = PetscMax(0, by - nb); j <= PetscMin(S->nby - 1, by + nb); j++)
    for (PetscInt i = PetscMax(0, bx - nb); i <= PetscMin(S->nbx - 1, bx + nb); i++) {
      const PetscInt  b = j * S->nbx + i, nseg = S->bin_start[b + 1] - S->bin_start[b];
      const PetscReal ddx  = PetscMax(0, PetscMax(i * SYN_BIN_M - cx, cx - (i + 1) * SYN_BIN_M));
      const PetscReal ddy  = PetscMax(0, PetscMax(j * SYN_BIN_M - cy, cy - (j + 1) * SYN_BIN_M));
      const PetscReal dbin = PetscSqrtReal(ddx * ddx + ddy * ddy) - r - S->bin_hl[b];
      PetscBool       env_ok, stem_ok;

      if (!nseg) continue;
      env_ok  = (S->bin_zmin[b] - S->bin_gmax[b] * r + ValleyLower(PetscMax(0, dbin), S->bin_wmax[b], S->bin_mmin[b]) <= U + SYN_H0_M + SYN_BOUND_TOL_M) ? PETSC_TRUE : PETSC_FALSE;
      stem_ok = (S->bin_nstem[b] && dbin <= SYN_STEM_DMAX_M) ? PETSC_TRUE : PETSC_FALSE;
      if (!env_ok && !stem_ok) continue;
      PetscCall(CandidatesGrow(cand, PetscMax(cand->n, cand->nstem) + nseg));
      for (PetscInt q = S->bin_start[b]; q < S->bin_start[b + 1]; q++) {
        const PetscInt  s = S->bin_list[q];
        const Segment  *g = &S->seg[s];
        PetscReal       f, F, d, bed, dlo, lo_f, lo_F;

        SegmentEval(g, cx, cy, &f, &F, &d);
        if (g->stem && d - r <= SYN_STEM_DMAX_M) cand->stem[cand->nstem++] = s;
        if (!env_ok) continue;
        bed  = f - ValleyLower(d, g->w, g->m) - g->grad * r;
        dlo  = PetscMax(0, d - r);
        lo_f = bed + ValleyLower(dlo, g->w, g->m);
        lo_F = bed + SYN_FLOOR_SLOPE * PetscMin(dlo, g->w) + SYN_WALL_SLOPE * PetscMax(0, dlo - g->w);
        U    = PetscMin(U, f + (g->grad + g->m) * r);
        if (lo_f <= U + SYN_BOUND_TOL_M || lo_F <= U + SYN_H0_M + SYN_BOUND_TOL_M) {
          cand->seg[cand->n]  = s;
          cand->lo_f[cand->n] = lo_f;
          cand->lo_F[cand->n] = lo_F;
          cand->n++;
        }
      }
    }
  /* U only decreased while scanning: apply the final bound. */
  for (PetscInt q = 0; q < cand->n; q++) {
    const int flag = (cand->lo_f[q] <= U + SYN_BOUND_TOL_M ? 1 : 0) | (cand->lo_F[q] <= U + SYN_H0_M + SYN_BOUND_TOL_M ? 2 : 0);

    if (!flag) continue;
    cand->seg[keep]  = cand->seg[q];
    cand->flag[keep] = flag;
    keep++;
  }
  cand->n = keep;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* What the land-use and soil rules look at, for one cell. */
typedef struct {
  PetscReal x, y, z;     /* position, final elevation */
  PetscReal slope;       /* nominal local gradient (m/m): floor slope or hillslope, saturated */
  PetscReal H;           /* height above the valley floor, 0 on floors, capped at SYN_H0_M */
  PetscReal hand;        /* height above the bed of the river whose valley the cell is in */
  PetscReal river_km2;   /* upstream area of the river whose valley the cell is in */
  PetscReal dstem;       /* distance to the main stem (capped at SYN_STEM_DMAX_M) */
  PetscReal driver;      /* distance to the river whose valley the cell is in */
  PetscInt  stem;        /* 1 when that river is the main stem */
  PetscReal nw;          /* north weight */
} CellInfo;

/* Land use (SbLandUse). Target shares, from the issue and docs/synthetic-basin.md: forest 50-60%,
   shrub and grass 15-20%, sloping cropland 12-15%, terraces 4-6%, paddy 3-5%, urban 1-2%, water
   1-2%. Reservoir cells are set afterwards. */
static inline int32_t LandUse(const Synth *S, const CellInfo *ci)
{
  const PetscReal crop  = Fbm(FieldKey(S, SALT_CROP), ci->x, ci->y, 6000.0, 2);
  const PetscReal patch = Fbm(FieldKey(S, SALT_PATCH), ci->x, ci->y, 2000.0, 2);

  /* Open water: the main stem, and tributaries of 300 km² or more, half-width 1.5 A^1/2 m
     (A in km²: ~95 m wide at 1,000 km²), a hydraulic-geometry width ~ Q^1/2 (Leopold &
     Maddock 1953, USGS Prof. Paper 252) with discharge ~ area. */
  if (ci->dstem < StemChannelHalfWidth(S, ci->x)) return SB_LU_WATER;
  if (!ci->stem && ci->river_km2 >= 300.0 && ci->driver < 1.5 * PetscSqrtReal(ci->river_km2)) return SB_LU_WATER;
  /* Built-up land on valley floors around the towns, and villages along valleys. */
  if (ci->H < 45.0 && ci->slope < 0.2) {
    for (PetscInt t = 0; t < NTAB(towns_km); t++) {
      const PetscReal tx = S->town_x[t], ty = S->town_y[t], rad = 1000.0 * towns_km[t][1];
      const PetscReal d2 = (ci->x - tx) * (ci->x - tx) + (ci->y - ty) * (ci->y - ty);

      if (d2 < rad * rad * (1 + 0.35 * patch) * (1 + 0.35 * patch)) return SB_LU_URBAN;
    }
    if (ci->H < 12.0 && patch > 0.3 && ci->z < 1200.0) return SB_LU_URBAN;
  }
  /* Paddy on the floors of the larger valleys below ~900 m. */
  if (ci->H < 20.0 && ci->z < 900.0 && ci->river_km2 > 300.0 && crop > -0.3) return SB_LU_PADDY;
  /* Terraces on moderately steep slopes of the cultivated lower hills. */
  if (ci->z < 1400.0 && ci->hand < 350.0 && ci->slope > 0.15 && ci->slope < 0.55 && patch < -0.26 && crop > -0.25) return SB_LU_TERRACED_CROPLAND;
  /* Sloping cropland on gentle-to-moderate lower slopes. */
  if (ci->z < 1300.0 && ci->hand < 300.0 && ci->slope < 0.6 && crop > 0.09) return SB_LU_SLOPING_CROPLAND;
  /* Shrub and grass: subalpine meadows on the Qinling crest, and degraded patches. */
  if (ci->z > 2700.0) return SB_LU_SHRUB_GRASS;
  if (Fbm(FieldKey(S, SALT_SHRUB), ci->x, ci->y, 4000.0, 2) > 0.235 - 0.15 * Smoothstep((1200.0 - ci->z) / 600.0)) return SB_LU_SHRUB_GRASS;
  return SB_LU_FOREST;
}

/* Soil texture class (SbSoil, Rawls et al. 1983): alluvium on valley floors, fine paddy soils,
   yellow-brown earths (clay loams) on the low hills with purple-soil loams in the south, brown
   earths (loam, silt loam) at mid elevations, thin coarse mountain soils high up. */
static inline int32_t Soil(const Synth *S, const CellInfo *ci, int32_t lu)
{
  const PetscReal v = Fbm(FieldKey(S, SALT_SOIL), ci->x, ci->y, 8000.0, 2);

  if (lu == SB_LU_WATER) return SB_SOIL_SILTY_CLAY_LOAM;
  if (lu == SB_LU_PADDY) return SB_SOIL_SILTY_CLAY_LOAM;
  if (ci->H < 20.0) return SB_SOIL_SILT_LOAM;
  if (ci->z > 2400.0 || ci->slope > 0.75) return SB_SOIL_LOAMY_SAND;
  if (ci->z > 1800.0) return SB_SOIL_SANDY_LOAM;
  if (ci->z > 900.0) return v > 0 ? SB_SOIL_LOAM : SB_SOIL_SILT_LOAM;
  if (ci->nw < 0.5 && v > 0.35) return SB_SOIL_SANDY_LOAM;
  return v > -0.1 ? SB_SOIL_CLAY_LOAM : SB_SOIL_SILTY_CLAY_LOAM;
}

/* Sample the landscape at every cell centre inside the outline: elevation, mask, land use, soil. */
static PetscErrorCode SynthSample(const Synth *S, SbMeshData *m)
{
  const PetscReal h = m->cellsize;
  const PetscInt  k = PetscMax(1, (PetscInt)ceil(SYN_BLOCK_M / h));
  const uint64_t  krough = FieldKey(S, SALT_ROUGH);
  PetscReal      *yc, *yn, *ys;
  Candidates      cand;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(m->nx, &yc, m->nx, &yn, m->nx, &ys));
  for (PetscInt c = 0; c < m->nx; c++) {
    const PetscReal x = m->xll + (c + 0.5) * h;

    yc[c] = StemY(S, x);
    Divides(S, x, yc[c], &yn[c], &ys[c]);
  }
  PetscCall(PetscMemzero(&cand, sizeof(cand)));
  PetscCall(CandidatesGrow(&cand, 1024));
  for (PetscInt r0 = 0; r0 < m->ny; r0 += k)
    for (PetscInt c0 = 0; c0 < m->nx; c0 += k) {
      const PetscInt  r1 = PetscMin(r0 + k, m->ny), c1 = PetscMin(c0 + k, m->nx);
      const PetscReal ytop = m->yll + (m->ny - r0 - 0.5) * h, ybot = m->yll + (m->ny - r1 + 0.5) * h;
      const PetscReal cx = m->xll + 0.5 * (c0 + c1) * h, cy = m->yll + (m->ny - 0.5 * (r0 + r1)) * h;
      const PetscReal rad = 0.5 * h * PetscSqrtReal((PetscReal)((c1 - c0 - 1) * (c1 - c0 - 1) + (r1 - r0 - 1) * (r1 - r0 - 1)));
      PetscBool       any = PETSC_FALSE;

      for (PetscInt c = c0; c < c1 && !any; c++)
        if (yn[c] > ys[c] && ytop > ys[c] && ybot < yn[c]) any = PETSC_TRUE;
      if (!any) continue;
      PetscCall(BlockCandidates(S, cx, cy, rad, &cand));
      for (PetscInt r = r0; r < r1; r++)
        for (PetscInt c = c0; c < c1; c++) {
          const PetscInt  i = r * m->nx + c;
          const PetscReal x = m->xll + (c + 0.5) * h, y = m->yll + (m->ny - r - 0.5) * h;
          PetscReal       env = PETSC_MAX_REAL, Fenv = PETSC_MAX_REAL, dbest = 0, K, C, deriv, zs, amp;
          PetscInt        best = -1;
          CellInfo        ci;

          if (!(y > ys[c] && y < yn[c])) continue;
          for (PetscInt q = 0; q < cand.n; q++) {
            PetscReal f, F, d;

            SegmentEval(&S->seg[cand.seg[q]], x, y, &f, &F, &d);
            if ((cand.flag[q] & 1) && f < env) {
              env   = f;
              best  = cand.seg[q];
              dbest = d;
            }
            if (cand.flag[q] & 2) Fenv = PetscMin(Fenv, F);
          }
          ci.dstem = SYN_STEM_DMAX_M;
          for (PetscInt q = 0; q < cand.nstem; q++) {
            PetscReal f, F, d;

            SegmentEval(&S->seg[cand.stem[q]], x, y, &f, &F, &d);
            ci.dstem = PetscMin(ci.dstem, d);
          }
          PetscCheck(best >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "synth: no river segment near (%g, %g)", (double)x, (double)y);
          Ceiling(x, y, yc[c], &K, &C);
          zs = Saturate(env, K, C, &deriv);
          /* Roughness: zero on valley floors (H = 0) and where it could push land below the pool. */
          ci.H    = PetscMin(Fenv - env, SYN_H0_M); /* exact below SYN_H0_M, see BlockCandidates */
          ci.hand = ValleyLower(dbest, S->seg[best].w, S->seg[best].m);
          amp  = SYN_NOISE_M * PetscMin(1, ci.H / SYN_H0_M) * Clamp((env - SYN_POOL_M) / SYN_NOISE_M, 0, 1);
          ci.x         = x;
          ci.y         = y;
          ci.z         = zs + amp * Fbm(krough, x, y, SYN_NOISE_WAVE_M, 4);
          ci.slope     = (dbest < S->seg[best].w ? SYN_FLOOR_SLOPE : S->seg[best].m) * deriv;
          ci.river_km2 = S->seg[best].area_km2;
          ci.driver    = dbest;
          ci.stem      = S->seg[best].stem;
          ci.nw        = NorthWeight(y, yc[c]);
          m->mask[i]      = 1;
          m->elevation[i] = ci.z;
          m->landuse[i]   = LandUse(S, &ci);
          m->soil[i]      = Soil(S, &ci, m->landuse[i]);
        }
    }
  PetscCall(CandidatesDestroy(&cand));
  PetscCall(PetscFree3(yc, yn, ys));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Cell containing (x, y), or -1 off the grid. */
static inline PetscInt CellOf(const SbMeshData *m, PetscReal x, PetscReal y)
{
  const PetscInt c = (PetscInt)floor((x - m->xll) / m->cellsize), r = m->ny - 1 - (PetscInt)floor((y - m->yll) / m->cellsize);

  return (c < 0 || c >= m->nx || r < 0 || r >= m->ny) ? -1 : r * m->nx + c;
}

/* Burn the main-stem bed into the raster (each cell the stem passes through is lowered to the bed
   there), so that at any cell size the stem is one descending 8-connected line of cells from the
   source to the outlet, and the reservoir stays joined to the dam. Returns the outlet: the last
   active cell along the stem, at the east tip of the outline. */
static PetscErrorCode SynthBurnStem(const Synth *S, SbMeshData *m, PetscInt *outlet)
{
  const PetscReal step = 0.25 * PetscMin(m->cellsize, SYN_STEM_DS_M);

  PetscFunctionBeginUser;
  *outlet = -1;
  for (PetscInt p = 0; p + 1 < S->nstem; p++) {
    const PetscInt ns = (PetscInt)ceil(SYN_STEM_DS_M / step);

    for (PetscInt q = 0; q <= ns; q++) {
      const PetscReal t = (PetscReal)q / ns;
      const PetscReal x = S->stem_x[p] + t * (S->stem_x[p + 1] - S->stem_x[p]), y = S->stem_y[p] + t * (S->stem_y[p + 1] - S->stem_y[p]);
      const PetscReal z = S->stem_z[p] + t * (S->stem_z[p + 1] - S->stem_z[p]);
      const PetscInt  i = CellOf(m, x, y);

      if (i < 0 || !m->mask[i]) continue;
      if (m->elevation[i] > z) m->elevation[i] = z;
      *outlet = i;
    }
  }
  PetscCheck(*outlet >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "synth: the main stem crosses no active cell");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The reservoir: active cells below the pool level west of the dam, 8-connected to the burned
   main stem there; they become water at exactly the pool level. */
static PetscErrorCode SynthReservoir(const Synth *S, SbMeshData *m)
{
  const PetscReal h = m->cellsize, step = 0.25 * PetscMin(h, SYN_STEM_DS_M);
  PetscInt       *queue, head = 0, tail = 0, ncand = 0;

  PetscFunctionBeginUser;
  m->reservoir_level_m = SYN_POOL_M;
  for (PetscInt i = 0; i < m->nx * m->ny; i++)
    if (m->mask[i] && m->elevation[i] < SYN_POOL_M) ncand++;
  PetscCall(PetscMalloc1(ncand + 1, &queue));
  /* Seeds: the stem cells below the pool level above the dam. */
  for (PetscInt p = 0; p + 1 < S->nstem; p++) {
    const PetscInt ns = (PetscInt)ceil(SYN_STEM_DS_M / step);

    if (PetscMax(S->stem_z[p], S->stem_z[p + 1]) >= SYN_POOL_M) continue;
    for (PetscInt q = 0; q <= ns; q++) {
      const PetscReal t = (PetscReal)q / ns;
      const PetscReal x = S->stem_x[p] + t * (S->stem_x[p + 1] - S->stem_x[p]), y = S->stem_y[p] + t * (S->stem_y[p + 1] - S->stem_y[p]);
      const PetscInt  i = CellOf(m, x, y);

      if (i < 0 || !m->mask[i] || m->elevation[i] >= SYN_POOL_M || m->xll + (i % m->nx + 0.5) * h >= S->xdam) continue;
      m->elevation[i] = SYN_POOL_M; /* marks it visited */
      queue[tail++]   = i;
    }
  }
  while (head < tail) {
    const PetscInt i = queue[head++], r = i / m->nx, c = i % m->nx;

    m->landuse[i] = SB_LU_WATER;
    m->soil[i]    = SB_SOIL_SILTY_CLAY_LOAM;
    for (PetscInt dr = -1; dr <= 1; dr++)
      for (PetscInt dc = -1; dc <= 1; dc++) {
        const PetscInt rr = r + dr, cc = c + dc;
        PetscInt       j;

        if (rr < 0 || cc < 0 || rr >= m->ny || cc >= m->nx) continue;
        j = rr * m->nx + cc;
        if (!m->mask[j] || m->elevation[j] >= SYN_POOL_M || m->xll + (cc + 0.5) * h >= S->xdam) continue;
        m->elevation[j] = SYN_POOL_M;
        queue[tail++]   = j;
      }
  }
  PetscCall(PetscFree(queue));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Receiver of cell i along its D8 code, or -1 for none. */
static inline PetscInt Receiver(const SbMeshData *m, PetscInt i)
{
  const uint8_t code = m->flow_direction[i];
  PetscInt      r = i / m->nx, c = i % m->nx;

  if (code == SB_D8_NONE) return -1;
  if (code == SB_D8_E || code == SB_D8_SE || code == SB_D8_NE) c++;
  if (code == SB_D8_W || code == SB_D8_SW || code == SB_D8_NW) c--;
  if (code == SB_D8_S || code == SB_D8_SE || code == SB_D8_SW) r++;
  if (code == SB_D8_N || code == SB_D8_NE || code == SB_D8_NW) r--;
  return r * m->nx + c;
}

/* Gauges ankang and baihe on the conditioned D8 main stem (from the outlet up through the donor
   of largest accumulation), where the share of the basin upstream is closest to the real one. */
static PetscErrorCode SynthGauges(SbMeshData *m, PetscInt outlet)
{
  const char     *names[2]  = {"ankang", "baihe"};
  const PetscReal shares[2] = {SYN_ANKANG_SHARE, SYN_BAIHE_SHARE};
  const PetscReal total     = m->flow_accumulation[outlet];
  PetscInt        best[2]   = {outlet, outlet};
  PetscReal       diff[2]   = {PETSC_MAX_REAL, PETSC_MAX_REAL};
  SbGauge        *gauges;

  PetscFunctionBeginUser;
  for (PetscInt i = outlet; i >= 0;) {
    const PetscInt r = i / m->nx, c = i % m->nx;
    PetscInt       up = -1;

    for (PetscInt g = 0; g < 2; g++)
      if (PetscAbsReal(m->flow_accumulation[i] / total - shares[g]) < diff[g]) {
        diff[g] = PetscAbsReal(m->flow_accumulation[i] / total - shares[g]);
        best[g] = i;
      }
    for (PetscInt dr = -1; dr <= 1; dr++)
      for (PetscInt dc = -1; dc <= 1; dc++) {
        const PetscInt rr = r + dr, cc = c + dc;
        PetscInt       j;

        if ((!dr && !dc) || rr < 0 || cc < 0 || rr >= m->ny || cc >= m->nx) continue;
        j = rr * m->nx + cc;
        if (!m->mask[j] || Receiver(m, j) != i) continue;
        if (up < 0 || m->flow_accumulation[j] > m->flow_accumulation[up]) up = j;
      }
    i = up;
  }
  PetscCall(PetscCalloc1(m->ngauges + 2, &gauges));
  for (PetscInt g = 0; g < 2; g++) {
    PetscCall(PetscStrncpy(gauges[g].name, names[g], sizeof(gauges[g].name)));
    gauges[g].row = best[g] / m->nx;
    gauges[g].col = best[g] % m->nx;
    PetscCall(SbFlowSnapGauge(m, 0, &gauges[g])); /* radius 0: already on the stem; sets the area */
  }
  PetscCall(PetscArraycpy(gauges + 2, m->gauges, m->ngauges));
  PetscCall(PetscFree(m->gauges));
  m->gauges = gauges;
  m->ngauges += 2;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Regions from the D8 tree: 1 = the catchment of Ankang, 2 = that of Baihe without region 1,
   3 = the rest of the basin. */
static PetscErrorCode SynthRegions(SbMeshData *m, PetscInt ankang, PetscInt baihe)
{
  const PetscInt n = m->nx * m->ny;
  uint8_t       *upper, *upper_middle;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(n, &upper, n, &upper_middle));
  PetscCall(SbFlowCatchment(m, ankang, upper));
  PetscCall(SbFlowCatchment(m, baihe, upper_middle));
  for (PetscInt i = 0; i < n; i++) m->region[i] = !m->mask[i] ? 0 : (upper[i] ? 1 : (upper_middle[i] ? 2 : 3));
  PetscCall(PetscFree2(upper, upper_middle));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SynthDestroy(Synth *S)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree3(S->stem_x, S->stem_y, S->stem_z));
  PetscCall(PetscFree(S->seg));
  PetscCall(PetscFree2(S->bin_start, S->bin_list));
  PetscCall(PetscFree6(S->bin_zmin, S->bin_wmax, S->bin_mmin, S->bin_gmax, S->bin_hl, S->bin_nstem));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeshSynth(PetscReal cell_size_m, PetscInt seed, SbMeshData **mesh)
{
  Synth          S;
  SbMeshData    *m;
  PetscInt       nx, ny, outlet = -1;
  PetscLogDouble t0, t1, t2, t3, t4;

  PetscFunctionBeginUser;
  PetscCheck(cell_size_m >= SYN_MIN_CELL_M && cell_size_m <= SYN_MAX_CELL_M, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh synth: cell size must be in [90, 5000] m, got %g", (double)cell_size_m);
  PetscCall(PetscMemzero(&S, sizeof(S)));
  S.key = Mix64((uint64_t)seed ^ 0x5348554942414f31ULL); /* "SHUIBAO1" */

  PetscCall(PetscTime(&t0));
  PetscCall(SynthOutline(&S));
  PetscCall(SynthStem(&S));
  PetscCall(SynthTributaries(&S));
  PetscCall(SynthIndex(&S));
  PetscCall(PetscTime(&t1));

  nx = (PetscInt)ceil(SYN_WIDTH_M / cell_size_m);
  ny = (PetscInt)ceil(SYN_HEIGHT_M / cell_size_m);
  PetscCall(SbMeshDataCreate(nx, ny, &m));
  m->xll        = 0;
  m->yll        = 0;
  m->cellsize   = cell_size_m;
  m->geographic = PETSC_FALSE;
  PetscCall(SbMeshDataComputeMetrics(m));
  PetscCall(SynthSample(&S, m));
  PetscCall(SynthBurnStem(&S, m, &outlet));
  PetscCall(SynthReservoir(&S, m));
  PetscCall(PetscTime(&t2));

  m->ngauges = 1;
  PetscCall(PetscCalloc1(1, &m->gauges));
  PetscCall(PetscStrncpy(m->gauges[0].name, "outlet", sizeof(m->gauges[0].name)));
  m->gauges[0].row = outlet / nx;
  m->gauges[0].col = outlet % nx;
  PetscCall(SbFlowCondition(m, outlet, SYN_CHANNEL_M2));
  PetscCall(PetscTime(&t3));
  PetscCheck(m->flow_direction[outlet] == SB_D8_NONE, PETSC_COMM_SELF, PETSC_ERR_PLIB, "synth: the outlet drains elsewhere after conditioning");

  /* Cells the fill dropped from the mask (not 8-connected to the outlet) carry no attributes. */
  for (PetscInt i = 0; i < nx * ny; i++)
    if (!m->mask[i]) {
      m->landuse[i]   = SB_LU_NONE;
      m->soil[i]      = SB_SOIL_NONE;
      m->elevation[i] = 0;
    }
  PetscCall(SynthGauges(m, outlet));
  PetscCall(SynthRegions(m, m->gauges[0].row * nx + m->gauges[0].col, m->gauges[1].row * nx + m->gauges[1].col));
  m->nregions = 3;
  PetscCall(PetscStrncpy(m->region_names[0], "upper", sizeof(m->region_names[0])));
  PetscCall(PetscStrncpy(m->region_names[1], "middle", sizeof(m->region_names[1])));
  PetscCall(PetscStrncpy(m->region_names[2], "lower", sizeof(m->region_names[2])));
  PetscCall(PetscSNPrintf(m->source, sizeof(m->source), "shuibao mesh synth: synthetic Danjiangkou-like basin, cell size %g m, seed %" PetscInt_FMT, (double)cell_size_m, seed));

  PetscCall(PetscTime(&t4));
  PetscCall(PetscInfo(NULL, "synth: %" PetscInt_FMT " river segments; %g s network, %g s sampling %" PetscInt_FMT " x %" PetscInt_FMT " cells, %g s conditioning, %g s gauges and regions\n", S.nseg, t1 - t0, t2 - t1, nx, ny, t3 - t2, t4 - t3));
  PetscCall(SynthDestroy(&S));
  *mesh = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}
