/* Sub-grid channels.

   Geometry: downstream hydraulic geometry in the power-law form of Leopold & Maddock (1953),
   with the upstream area A (km²) standing for the bankfull discharge: width w = a A^b and
   bankfull depth d = c A^f; the default coefficients a = 1.29 m, b = 0.6, c = 0.13 m, f = 0.4 are
   the regression of Allen, Arnold & Byars (1994, Water Resour. Bull. 30(4):663-671) that
   ArcSWAT uses for channel dimensions. They are scenario keys (routing.channel.*) because they
   are regional. A channel at least as wide as the cell is a whole-cell channel: no banks.

   Network on faces: the routing schemes move water through the four faces of a cell, but D8
   channels also step diagonally. For each diagonal step a -> c, the lower of the two cells
   beside the step (the corner) joins the network: faces a|corner and corner|c become channel
   links, and the corner takes a's width and a bed half way between a's and c's beds (not above
   its own elevation). A corner that is a channel cell of its own keeps the wider channel and the
   lower bed of the two: with its own, smaller channel it would be a weir across the larger one
   (on the 2 km Han River mesh 40 of the 49 diagonal steps of the main stem below Ankang had such
   corners, beds 8-140 m above the stem's, and the river stood in ponds behind them). Every decision is made from the 3 x 3 neighbourhood of a cell, so ranks
   agree on every face without communication beyond one halo exchange. */
#include "channel.h"
#include "routing_impl.h"


typedef struct {
  const SbGrid          *g;
  const SbChannelParams *p;
  PetscScalar          **z, **mask, **chan, **fd, **acc, **corner;
} Hood;

static inline PetscBool Inside(const SbGrid *g, PetscInt i, PetscInt j)
{
  return i >= 0 && i < g->nx && j >= 0 && j < g->ny;
}

/* Width and bankfull depth of a channel draining acc_m2; whole-cell channels: w = 1e12, d = 0. */
static void Geometry(const SbChannelParams *p, PetscReal acc_m2, PetscReal cell_m, PetscReal *w, PetscReal *d)
{
  const PetscReal A = PetscMax(acc_m2, 0.0) / 1e6;

  *w = p->width_coef * PetscPowReal(A, p->width_exp);
  *d = p->depth_coef * PetscPowReal(A, p->depth_exp);
  if (!p->subgrid || !(*w < cell_m)) {
    *w = 1e12;
    *d = 0.0;
  }
}

/* The path of the channel step out of cell a = (ai, aj): up to three cells [a, corner, c]. A step
   exists if a is an active channel cell whose D8 receiver c is an active channel cell of the
   mesh; a diagonal step needs its corner (chosen by the owner of a, stored in corner: 1 the
   cell beside a in x, 2 the one beside it in y). */
static PetscInt Path(const Hood *H, PetscInt ai, PetscInt aj, PetscInt pi[3], PetscInt pj[3])
{
  PetscInt di, dj;

  if (!Inside(H->g, ai, aj) || H->mask[aj][ai] == 0 || H->chan[aj][ai] == 0) return 0;
  if (!SbD8Offset((PetscInt)H->fd[aj][ai], &di, &dj) || !Inside(H->g, ai + di, aj + dj)) return 0;
  pi[0] = ai;
  pj[0] = aj;
  if (di == 0 || dj == 0) {
    pi[1] = ai + di;
    pj[1] = aj + dj;
    return 2;
  }
  if (H->corner[aj][ai] == 0) return 0;
  pi[1] = H->corner[aj][ai] == 1 ? ai + di : ai;
  pj[1] = H->corner[aj][ai] == 1 ? aj : aj + dj;
  pi[2] = ai + di;
  pj[2] = aj + dj;
  return 3;
}

PetscErrorCode SbChannelGeometry(SbGrid *g, const SbChannelParams *p, Vec flags, Vec depth_m, Vec width_m, PetscInt *added)
{
  Vec          zl, maskl, chanl, fdl, accl, corner, cornerl;
  Hood         H;
  PetscScalar **fl, **dd, **ww, **co;
  const PetscInt xs = g->xs, ys = g->ys, xe = g->xs + g->xm, ye = g->ys + g->ym;
  PetscInt     nadd = 0;

  PetscFunctionBeginUser;
  PetscCall(DMCreateLocalVector(g->da, &zl));
  PetscCall(VecDuplicate(zl, &maskl));
  PetscCall(VecDuplicate(zl, &chanl));
  PetscCall(VecDuplicate(zl, &fdl));
  PetscCall(VecDuplicate(zl, &accl));
  PetscCall(VecDuplicate(zl, &cornerl));
  PetscCall(DMCreateGlobalVector(g->da, &corner));
  PetscCall(DMGlobalToLocal(g->da, g->elevation, INSERT_VALUES, zl));
  PetscCall(DMGlobalToLocal(g->da, g->mask, INSERT_VALUES, maskl));
  PetscCall(DMGlobalToLocal(g->da, g->channel, INSERT_VALUES, chanl));
  PetscCall(DMGlobalToLocal(g->da, g->flow_direction, INSERT_VALUES, fdl));
  PetscCall(DMGlobalToLocal(g->da, g->flow_accumulation, INSERT_VALUES, accl));
  H.g = g;
  H.p = p;
  PetscCall(DMDAVecGetArrayRead(g->da, zl, (void *)&H.z));
  PetscCall(DMDAVecGetArrayRead(g->da, maskl, (void *)&H.mask));
  PetscCall(DMDAVecGetArrayRead(g->da, chanl, (void *)&H.chan));
  PetscCall(DMDAVecGetArrayRead(g->da, fdl, (void *)&H.fd));
  PetscCall(DMDAVecGetArrayRead(g->da, accl, (void *)&H.acc));

  /* 1. Owners of diagonal steps choose the corner: the lower active one (x side on a tie). */
  PetscCall(DMDAVecGetArray(g->da, corner, &co));
  for (PetscInt j = ys; j < ye; j++)
    for (PetscInt i = xs; i < xe; i++) {
      PetscInt di, dj;

      co[j][i] = 0;
      if (H.mask[j][i] == 0 || H.chan[j][i] == 0 || !SbD8Offset((PetscInt)H.fd[j][i], &di, &dj) || di == 0 || dj == 0) continue;
      if (!Inside(g, i + di, j + dj) || H.chan[j + dj][i + di] == 0 || H.mask[j + dj][i + di] == 0) continue;
      {
        const PetscBool x_ok = (PetscBool)(H.mask[j][i + di] != 0), y_ok = (PetscBool)(H.mask[j + dj][i] != 0);

        if (x_ok && (!y_ok || H.z[j][i + di] <= H.z[j + dj][i])) co[j][i] = 1;
        else if (y_ok) co[j][i] = 2;
      }
    }
  PetscCall(DMDAVecRestoreArray(g->da, corner, &co));
  PetscCall(DMGlobalToLocal(g->da, corner, INSERT_VALUES, cornerl));
  PetscCall(DMDAVecGetArrayRead(g->da, cornerl, (void *)&H.corner));

  /* 2. Every owned cell looks at the steps out of its 3 x 3 neighbourhood: is it a corner, are its
        east and south faces links. Steps into cells that are not mesh channel cells are not part
        of the network. */
  PetscCall(DMDAVecGetArray(g->da, flags, &fl));
  PetscCall(DMDAVecGetArray(g->da, depth_m, &dd));
  PetscCall(DMDAVecGetArray(g->da, width_m, &ww));
  for (PetscInt j = ys; j < ye; j++)
    for (PetscInt i = xs; i < xe; i++) {
      PetscInt  bits = (PetscInt)fl[j][i], src_i = -1, src_j = -1, src_c_i = -1, src_c_j = -1;
      PetscBool is_chan;
      PetscReal w = 0, d = 0;
      const PetscReal cell = PetscMin(g->dx_m[j], g->dy_m);

      if (H.mask[j][i] == 0) {
        dd[j][i] = 0;
        ww[j][i] = 0;
        continue;
      }
      is_chan = (PetscBool)(H.chan[j][i] != 0);
      for (PetscInt aj = j - 1; aj <= j + 1; aj++)
        for (PetscInt ai = i - 1; ai <= i + 1; ai++) {
          PetscInt  pi[3], pj[3], n = Path(&H, ai, aj, pi, pj);
          PetscBool mine = PETSC_FALSE;

          /* Only paths through this cell matter; their cells all lie within its 3 x 3 block, so
             the receiver may be read from the ghosts. */
          for (PetscInt s = 0; s < n; s++) mine = (PetscBool)(mine || (pi[s] == i && pj[s] == j));
          if (!mine || H.chan[pj[n - 1]][pi[n - 1]] == 0 || H.mask[pj[n - 1]][pi[n - 1]] == 0) continue;
          for (PetscInt s = 0; s + 1 < n; s++) {
            const PetscInt ui = pi[s], uj = pj[s], vi = pi[s + 1], vj = pj[s + 1];

            if ((ui == i && uj == j && vi == i + 1 && vj == j) || (vi == i && vj == j && ui == i + 1 && uj == j)) bits |= SB_CELL_LINK_E;
            if ((ui == i && uj == j && vi == i && vj == j + 1) || (vi == i && vj == j && ui == i && uj == j + 1)) bits |= SB_CELL_LINK_S;
          }
          /* A corner takes the geometry of the largest step through it (a channel cell of its
             own too: a corner with a smaller channel of its own would be a weir across the
             larger one, its bed metres above the beds on both sides). */
          if (n == 3 && pi[1] == i && pj[1] == j && (src_i < 0 || H.acc[aj][ai] > H.acc[src_j][src_i])) {
            src_i   = ai;
            src_j   = aj;
            src_c_i = pi[2];
            src_c_j = pj[2];
          }
        }
      if (is_chan) Geometry(p, H.acc[j][i], cell, &w, &d);
      if (src_i >= 0) {
        PetscReal wa, da, wc, dc, bed;

        Geometry(p, H.acc[src_j][src_i], cell, &wa, &da);
        Geometry(p, H.acc[src_c_j][src_c_i], cell, &wc, &dc);
        bed = PetscMin(H.z[j][i], 0.5 * ((H.z[src_j][src_i] - da) + (H.z[src_c_j][src_c_i] - dc)));
        if (!is_chan) {
          w = wa;
          d = wa < 1e12 ? H.z[j][i] - bed : 0.0;
          nadd++;
          is_chan = PETSC_TRUE;
        } else {
          /* The wider channel and the lower bed of the two. */
          w = PetscMax(w, wa);
          d = w < 1e12 ? PetscMax(d, H.z[j][i] - bed) : 0.0;
        }
      }
      if (is_chan) bits |= SB_CELL_CHANNEL;
      fl[j][i] = (PetscScalar)bits;
      dd[j][i] = d;
      ww[j][i] = w;
    }
  PetscCall(DMDAVecRestoreArray(g->da, width_m, &ww));
  PetscCall(DMDAVecRestoreArray(g->da, depth_m, &dd));
  PetscCall(DMDAVecRestoreArray(g->da, flags, &fl));

  PetscCall(DMDAVecRestoreArrayRead(g->da, cornerl, (void *)&H.corner));
  PetscCall(DMDAVecRestoreArrayRead(g->da, accl, (void *)&H.acc));
  PetscCall(DMDAVecRestoreArrayRead(g->da, fdl, (void *)&H.fd));
  PetscCall(DMDAVecRestoreArrayRead(g->da, chanl, (void *)&H.chan));
  PetscCall(DMDAVecRestoreArrayRead(g->da, maskl, (void *)&H.mask));
  PetscCall(DMDAVecRestoreArrayRead(g->da, zl, (void *)&H.z));
  PetscCall(VecDestroy(&corner));
  PetscCall(VecDestroy(&cornerl));
  PetscCall(VecDestroy(&accl));
  PetscCall(VecDestroy(&fdl));
  PetscCall(VecDestroy(&chanl));
  PetscCall(VecDestroy(&maskl));
  PetscCall(VecDestroy(&zl));
  PetscCallMPI(MPI_Allreduce(&nadd, added, 1, MPIU_INT, MPI_SUM, g->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}
