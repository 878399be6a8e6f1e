/* `shuibao compare`: per-file summary tables of result files (and mesh files).
   The comparison against targets grows with the assessment and scenario issues. */
#include "compare.h"
#include "h5io.h"
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <errno.h>

typedef struct {
  char      name[SB_MAX_NAME];
  PetscReal peak_m3_s, volume_m3;
} GaugeSummary;

typedef struct {
  const char  *path;
  char         kind[16]; /* "result" or "mesh" */
  char         scenario[SB_MAX_NAME];
  PetscReal    duration_h, rain_m3, outflow_m3, storage_change_m3, relative_error;
  long long    nx, ny, active, ranks;
  PetscInt     ngauges;
  GaugeSummary g[32];
} FileSummary;

static herr_t GaugeName(hid_t loc, const char *name, const H5L_info_t *info, void *ctx)
{
  FileSummary *f = (FileSummary *)ctx;

  if (f->ngauges >= 32) return 1;
  snprintf(f->g[f->ngauges++].name, SB_MAX_NAME, "%s", name);
  return 0;
}

static PetscErrorCode ReadSeriesMax(hid_t grp, const char *path, const char *name, PetscReal *peak)
{
  hid_t    dset, space;
  hssize_t n;
  double  *v;

  PetscFunctionBeginUser;
  *peak = 0;
  SbCallHDF5(dset = H5Dopen2(grp, name, H5P_DEFAULT));
  SbCallHDF5(space = H5Dget_space(dset));
  SbCallHDF5(n = H5Sget_simple_extent_npoints(space));
  PetscCall(PetscMalloc1(n + 1, &v));
  SbCallHDF5(H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
  for (hssize_t i = 0; i < n; i++) *peak = PetscMax(*peak, v[i]);
  PetscCall(PetscFree(v));
  SbCallHDF5(H5Sclose(space));
  SbCallHDF5(H5Dclose(dset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Summarise(const char *path, FileSummary *f)
{
  hid_t       file, grp;
  struct stat st;
  htri_t      is;
  char        text[65536];

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(f, sizeof(*f)));
  f->path = path;
  PetscCheck(stat(path, &st) == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot open: %s", path, strerror(errno));
  PetscCheck(!S_ISDIR(st.st_mode), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot open: is a directory", path);
  H5E_BEGIN_TRY { is = H5Fis_hdf5(path); } H5E_END_TRY;
  PetscCheck(is > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: not an HDF5 file", path);
  SbCallHDF5(file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
  if (H5Lexists(file, "provenance", H5P_DEFAULT) > 0) {
    double v;

    PetscCall(PetscStrncpy(f->kind, "result", sizeof(f->kind)));
    SbCallHDF5(grp = H5Gopen2(file, "provenance", H5P_DEFAULT));
    PetscCall(SbH5ReadAttrString(grp, path, "scenario", text, sizeof(text)));
    {
      /* The scenario's name, from its JSON text. */
      const char *k = strstr(text, "\"name\"");

      PetscCall(PetscStrncpy(f->scenario, "?", sizeof(f->scenario)));
      if (k && (k = strchr(k + 6, '"'))) {
        size_t n = strcspn(k + 1, "\"");

        if (n < sizeof(f->scenario)) {
          memcpy(f->scenario, k + 1, n);
          f->scenario[n] = 0;
        }
      }
    }
    PetscCall(SbH5ReadAttrInt(grp, path, "ranks", &f->ranks));
    SbCallHDF5(H5Gclose(grp));
    SbCallHDF5(grp = H5Gopen2(file, "budget/water", H5P_DEFAULT));
    PetscCall(SbH5ReadAttrDouble(grp, path, "rain", &v));
    f->rain_m3 = v;
    PetscCall(SbH5ReadAttrDouble(grp, path, "outflow", &v));
    f->outflow_m3 = v;
    PetscCall(SbH5ReadAttrDouble(grp, path, "storage_change", &v));
    f->storage_change_m3 = v;
    PetscCall(SbH5ReadAttrDouble(grp, path, "relative_error", &v));
    f->relative_error = v;
    SbCallHDF5(H5Gclose(grp));
    SbCallHDF5(grp = H5Gopen2(file, "series", H5P_DEFAULT));
    PetscCall(ReadSeriesMax(grp, path, "time", &f->duration_h));
    f->duration_h /= 3600.0;
    SbCallHDF5(H5Gclose(grp));
    {
      hid_t series;

      SbCallHDF5(series = H5Gopen2(file, "series", H5P_DEFAULT));
      SbCallHDF5(H5Literate(series, H5_INDEX_NAME, H5_ITER_INC, NULL, GaugeName, f));
      /* Keep the groups (gauges), drop the plain series (time, rain, storage). */
      for (PetscInt k = 0; k < f->ngauges;) {
        H5O_info_t oi;

        SbCallHDF5(H5Oget_info_by_name(series, f->g[k].name, &oi, H5P_DEFAULT));
        if (oi.type != H5O_TYPE_GROUP) {
          for (PetscInt j = k + 1; j < f->ngauges; j++) f->g[j - 1] = f->g[j];
          f->ngauges--;
          continue;
        }
        {
          hid_t gg;
          char  att[SB_MAX_NAME + 16];

          SbCallHDF5(gg = H5Gopen2(series, f->g[k].name, H5P_DEFAULT));
          PetscCall(ReadSeriesMax(gg, path, "discharge", &f->g[k].peak_m3_s));
          SbCallHDF5(H5Gclose(gg));
          SbCallHDF5(grp = H5Gopen2(file, "budget/water", H5P_DEFAULT));
          PetscCall(PetscSNPrintf(att, sizeof(att), "outflow_%s", f->g[k].name));
          {
            double v2 = 0;

            PetscCall(SbH5ReadAttrDouble(grp, path, att, &v2));
            f->g[k].volume_m3 = v2;
          }
          SbCallHDF5(H5Gclose(grp));
        }
        k++;
      }
      SbCallHDF5(H5Gclose(series));
    }
  } else if (H5Lexists(file, "elevation", H5P_DEFAULT) > 0) {
    PetscCall(PetscStrncpy(f->kind, "mesh", sizeof(f->kind)));
    PetscCall(SbH5ReadAttrInt(file, path, "nx", &f->nx));
    PetscCall(SbH5ReadAttrInt(file, path, "ny", &f->ny));
    PetscCall(SbH5ReadAttrInt(file, path, "active_cells", &f->active));
  } else SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: neither a shuibao result (no /provenance) nor a mesh (no /elevation)", path);
  SbCallHDF5(H5Fclose(file));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void PrintSummary(const FileSummary *f, const FileSummary *ref, const char *format, int index, int n)
{
  const PetscBool md = (PetscBool)!strcmp(format, "md"), csv = (PetscBool)!strcmp(format, "csv");

  if (!strcmp(f->kind, "mesh")) {
    if (md) printf("## %s (mesh)\n\n%lld x %lld cells, %lld active\n\n", f->path, f->nx, f->ny, f->active);
    else if (csv) printf("%s,mesh,,,,,,,\n", f->path);
    else printf("%s{\"file\": \"%s\", \"kind\": \"mesh\", \"nx\": %lld, \"ny\": %lld, \"active_cells\": %lld}%s\n", index ? "" : "[", f->path, f->nx, f->ny, f->active, index + 1 < n ? "," : "]");
    return;
  }
  if (md) {
    printf("## %s (scenario \"%s\", %.6g h, %lld ranks)\n\n", f->path, f->scenario, (double)f->duration_h, f->ranks);
    printf("| term | volume (m3) |\n|---|---:|\n| rain | %.6e |\n| outflow | %.6e |\n| storage change | %.6e |\n| relative error | %.2e |\n\n", (double)f->rain_m3, (double)f->outflow_m3, (double)f->storage_change_m3, (double)f->relative_error);
    printf("| gauge | peak discharge (m3/s) | volume (m3) | volume vs %s |\n|---|---:|---:|---:|\n", ref->path);
    for (PetscInt k = 0; k < f->ngauges; k++) {
      PetscReal base = 0;

      for (PetscInt j = 0; j < ref->ngauges; j++)
        if (!strcmp(ref->g[j].name, f->g[k].name)) base = ref->g[j].volume_m3;
      printf("| %s | %.4f | %.6e | %+.2f%% |\n", f->g[k].name, (double)f->g[k].peak_m3_s, (double)f->g[k].volume_m3, base > 0 ? (double)(100.0 * (f->g[k].volume_m3 - base) / base) : 0.0);
    }
    printf("\n");
  } else if (csv) {
    for (PetscInt k = 0; k < f->ngauges; k++) printf("%s,result,%s,%.6g,%s,%.9e,%.9e,%.9e,%.3e\n", f->path, f->scenario, (double)f->duration_h, f->g[k].name, (double)f->g[k].peak_m3_s, (double)f->g[k].volume_m3, (double)f->rain_m3, (double)f->relative_error);
  } else {
    printf("%s{\"file\": \"%s\", \"kind\": \"result\", \"scenario\": \"%s\", \"duration_h\": %.9g, \"rain_m3\": %.9e, \"outflow_m3\": %.9e, \"storage_change_m3\": %.9e, \"relative_error\": %.3e, \"gauges\": {", index ? "" : "[", f->path, f->scenario, (double)f->duration_h, (double)f->rain_m3, (double)f->outflow_m3, (double)f->storage_change_m3, (double)f->relative_error);
    for (PetscInt k = 0; k < f->ngauges; k++) printf("%s\"%s\": {\"peak_discharge_m3_s\": %.9e, \"volume_m3\": %.9e}", k ? ", " : "", f->g[k].name, (double)f->g[k].peak_m3_s, (double)f->g[k].volume_m3);
    printf("}}%s\n", index + 1 < n ? "," : "]");
  }
}

/* Run postproc/shuibao_figures.py with Debian's /usr/bin/python3 (fork and exec: no shell, so
   no quoting of file names). SB_POSTPROC_DIR in the environment overrides where it is. */
static PetscErrorCode Figures(int n, const char *const *files, const char *dir)
{
  char        script[PETSC_MAX_PATH_LEN];
  const char *where = getenv("SB_POSTPROC_DIR");
  char      **argv;
  pid_t       pid;
  int         status = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(script, sizeof(script), "%s/shuibao_figures.py", where ? where : SB_POSTPROC_DIR));
  PetscCheck(access(script, R_OK) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot find the figure script (set SB_POSTPROC_DIR)", script);
  PetscCall(PetscCalloc1(n + 4, &argv));
  argv[0] = (char *)"/usr/bin/python3";
  argv[1] = script;
  argv[2] = (char *)dir;
  for (int i = 0; i < n; i++) argv[3 + i] = (char *)files[i];
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  PetscCall(PetscFree(argv));
  PetscCheck(pid > 0 && waitpid(pid, &status, 0) == pid, PETSC_COMM_SELF, PETSC_ERR_SYS, "--figures: cannot run /usr/bin/python3");
  PetscCheck(WIFEXITED(status) && WEXITSTATUS(status) == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--figures %s: the figure script failed (python3-matplotlib and python3-h5py installed?)", dir);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCompare(MPI_Comm comm, int n, const char *const *files, const char *format, const char *figures)
{
  PetscMPIInt    rank;
  PetscErrorCode ierr = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FileSummary *s;

    PetscCall(PetscMalloc1(n, &s));
    /* Read every file before printing anything, so a bad file gives only its error. */
    for (int i = 0; i < n && !ierr; i++) ierr = Summarise(files[i], &s[i]);
    for (int i = 0; i < n && figures && !ierr; i++)
      if (strcmp(s[i].kind, "result")) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "%s: --figures needs result files, this is a %s", files[i], s[i].kind);
    if (!ierr) {
      if (!strcmp(format, "csv")) printf("file,kind,scenario,duration_h,gauge,peak_discharge_m3_s,volume_m3,rain_m3,relative_error\n");
      if (!strcmp(format, "md")) printf("# shuibao compare\n\n");
      for (int i = 0; i < n; i++) PrintSummary(&s[i], &s[0], format, i, n);
      fflush(stdout);
      if (figures) ierr = Figures(n, files, figures);
    }
    PetscCall(PetscFree(s));
  }
  /* Rank 0 raises its own error (with its message); the others fail with it. */
  PetscCallMPI(MPI_Bcast(&ierr, 1, MPI_INT, 0, comm));
  if (rank == 0) PetscCall(ierr);
  PetscCheck(!ierr, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "compare failed on rank 0");
  PetscFunctionReturn(PETSC_SUCCESS);
}
