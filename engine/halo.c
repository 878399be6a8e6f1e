/* Halo exchanges of the basin's cells only (halo.h). */
#include "halo.h"
#include <petscsf.h>

struct _p_SbHalo {
  SbGrid   *grid; /* not owned */
  PetscInt  dof;
  PetscBool roots_ghosted;
  PetscInt  gxs, gys, gxm, gym; /* the ghosted block */
  PetscSF   sf;                 /* roots: the owners' arrays; leaves: the selected ghost cells, dof each */
  PetscBool zero_others;
  SbCellRuns others;            /* with zero_others: the cells of the ghosted block not selected */
};

/* The ghost corners of the block [xs, xs + xm) x [ys, ys + ym) ghosted w deep on an nx x ny grid. */
static void Corners(PetscInt xs, PetscInt ys, PetscInt xm, PetscInt ym, PetscInt w, PetscInt nx, PetscInt ny, PetscInt *gxs, PetscInt *gys, PetscInt *gxm, PetscInt *gym)
{
  *gxs = PetscMax(xs - w, 0);
  *gys = PetscMax(ys - w, 0);
  *gxm = PetscMin(xs + xm + w, nx) - *gxs;
  *gym = PetscMin(ys + ym + w, ny) - *gys;
}

/* The process-grid column (or row) p of the ranges start[0..np] that holds i. */
static PetscInt Owner(const PetscInt *start, PetscInt np, PetscInt i)
{
  PetscInt lo = 0, hi = np - 1;

  while (lo < hi) {
    const PetscInt mid = (lo + hi + 1) / 2;

    if (start[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

PetscErrorCode SbHaloCreate(SbGrid *g, PetscInt width, PetscInt dof, const uint8_t *sel, uint8_t bits, PetscBool roots_ghosted, PetscBool zero_others, SbHalo *halo)
{
  SbHalo          h;
  const PetscInt *lx, *ly;
  PetscInt        m, n, *sx, *sy, nleaves = 0, *ilocal;
  PetscSFNode    *iremote;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&h));
  h->grid          = g;
  h->dof           = dof;
  h->roots_ghosted = roots_ghosted;
  Corners(g->xs, g->ys, g->xm, g->ym, width, g->nx, g->ny, &h->gxs, &h->gys, &h->gxm, &h->gym);
  PetscCall(DMDAGetInfo(g->da, NULL, NULL, NULL, NULL, &m, &n, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDAGetOwnershipRanges(g->da, &lx, &ly, NULL));
  PetscCall(PetscMalloc2(m + 1, &sx, n + 1, &sy));
  sx[0] = sy[0] = 0;
  for (PetscInt p = 0; p < m; p++) sx[p + 1] = sx[p] + lx[p];
  for (PetscInt q = 0; q < n; q++) sy[q + 1] = sy[q] + ly[q];
  /* The selected ghost cells, counted, then mapped to their owners' arrays. */
  for (PetscInt k = 0; k < h->gxm * h->gym; k++) {
    const PetscInt i = h->gxs + k % h->gxm, j = h->gys + k / h->gxm;

    if ((sel[k] & bits) && !(i >= g->xs && i < g->xs + g->xm && j >= g->ys && j < g->ys + g->ym)) nleaves++;
  }
  PetscCall(PetscMalloc1(dof * nleaves + 1, &ilocal));
  PetscCall(PetscMalloc1(dof * nleaves + 1, &iremote));
  nleaves = 0;
  for (PetscInt k = 0; k < h->gxm * h->gym; k++) {
    const PetscInt i = h->gxs + k % h->gxm, j = h->gys + k / h->gxm;
    PetscInt       p, q, root;

    if (!(sel[k] & bits) || (i >= g->xs && i < g->xs + g->xm && j >= g->ys && j < g->ys + g->ym)) continue;
    p = Owner(sx, m, i);
    q = Owner(sy, n, j);
    if (roots_ghosted) {
      PetscInt ogxs, ogys, ogxm, ogym;

      Corners(sx[p], sy[q], lx[p], ly[q], width, g->nx, g->ny, &ogxs, &ogys, &ogxm, &ogym);
      root = (j - ogys) * ogxm + (i - ogxs);
    } else root = (j - sy[q]) * lx[p] + (i - sx[p]);
    for (PetscInt d = 0; d < dof; d++) {
      ilocal[nleaves]        = k * dof + d;
      iremote[nleaves].rank  = q * m + p; /* DMDA ranks: x fastest */
      iremote[nleaves].index = root * dof + d;
      nleaves++;
    }
  }
  PetscCall(PetscFree2(sx, sy));
  PetscCall(PetscSFCreate(g->comm, &h->sf));
  PetscCall(PetscSFSetGraph(h->sf, dof * (roots_ghosted ? h->gxm * h->gym : g->xm * g->ym), nleaves, ilocal, PETSC_OWN_POINTER, iremote, PETSC_OWN_POINTER));
  PetscCall(PetscSFSetUp(h->sf));
  h->zero_others = zero_others;
  if (zero_others) {
    uint8_t *other;

    PetscCall(PetscMalloc1(h->gxm * h->gym + 1, &other));
    for (PetscInt k = 0; k < h->gxm * h->gym; k++) other[k] = (sel[k] & bits) ? 0 : 1;
    PetscCall(SbCellRunsCreate(h->gxm, h->gym, other, 1, &h->others));
    PetscCall(PetscFree(other));
  }
  *halo = h;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbHaloUpdate(SbHalo h, const PetscScalar *root, PetscScalar *ghosted)
{
  const SbGrid     *g   = h->grid;
  const SbCellRuns *act = &g->active;
  const PetscInt    dof = h->dof;

  PetscFunctionBeginUser;
  PetscCall(PetscSFBcastBegin(h->sf, MPIU_SCALAR, root, ghosted, MPI_REPLACE));
  /* The owned active cells, a run at a time, while the ghosts travel. */
  if (!h->roots_ghosted)
    for (PetscInt jj = 0; jj < g->ym; jj++) {
      const PetscInt off = (g->ys + jj - h->gys) * h->gxm + (g->xs - h->gxs) - jj * g->xm; /* owned block -> ghosted block */

      for (PetscInt r = act->row[jj]; r < act->row[jj + 1]; r++) PetscCall(PetscArraycpy(ghosted + (act->k[2 * r] + off) * dof, root + act->k[2 * r] * dof, (act->k[2 * r + 1] - act->k[2 * r]) * dof));
    }
  if (h->zero_others)
    for (PetscInt r = 0; r < h->others.nruns; r++) PetscCall(PetscArrayzero(ghosted + h->others.k[2 * r] * dof, (h->others.k[2 * r + 1] - h->others.k[2 * r]) * dof));
  PetscCall(PetscSFBcastEnd(h->sf, MPIU_SCALAR, root, ghosted, MPI_REPLACE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbHaloGetCorners(SbHalo h, PetscInt *gxs, PetscInt *gys, PetscInt *gxm, PetscInt *gym)
{
  PetscFunctionBeginUser;
  if (gxs) *gxs = h->gxs;
  if (gys) *gys = h->gys;
  if (gxm) *gxm = h->gxm;
  if (gym) *gym = h->gym;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbHaloDestroy(SbHalo *halo)
{
  PetscFunctionBeginUser;
  if (!*halo) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscSFDestroy(&(*halo)->sf));
  PetscCall(SbCellRunsDestroy(&(*halo)->others));
  PetscCall(PetscFree(*halo));
  PetscFunctionReturn(PETSC_SUCCESS);
}
