/* Unit test of the ESRI ASCII grid reader and writer (mesh/raster.c): a round trip, header
   variants, and malformed grids whose one-line error must name the file and the field. */
#include "raster.h"
#include "sbtest.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static PetscErrorCode WriteText(Test *t, const char *name, const char *text, size_t len, char path[PETSC_MAX_PATH_LEN])
{
  FILE *fp;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(path, PETSC_MAX_PATH_LEN, "%s/%s", t->dir, name));
  fp = fopen(path, "wb");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create %s", path);
  PetscCheck(fwrite(text, 1, len, fp) == len, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write %s", path);
  PetscCheck(!fclose(fp), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot close %s", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Read path expecting a PETSC_ERR_USER_INPUT error whose message is one line containing the file
   name and every one of the (up to three) expected pieces. */
static PetscErrorCode ExpectReadError(Test *t, const char *path, const char *base, const char *e1, const char *e2, const char *e3)
{
  Capture        cap = {0, ""};
  SbRaster      *r   = NULL;
  PetscErrorCode ierr;
  PetscBool      ok;
  char           what[4096];

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
  ierr = SbRasterRead(path, &r);
  PetscCall(PetscPopErrorHandler());
  ok = (ierr == PETSC_ERR_USER_INPUT && cap.code == PETSC_ERR_USER_INPUT && !r && strstr(cap.msg, base) && !strchr(cap.msg, '\n')) ? PETSC_TRUE : PETSC_FALSE;
  if (e1 && !strstr(cap.msg, e1)) ok = PETSC_FALSE;
  if (e2 && !strstr(cap.msg, e2)) ok = PETSC_FALSE;
  if (e3 && !strstr(cap.msg, e3)) ok = PETSC_FALSE;
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s is rejected: [%d] %s", base, (int)ierr, cap.msg));
  PetscCall(Check(t, ok, what));
  PetscCall(SbRasterDestroy(&r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode BadGrid(Test *t, const char *name, const char *text, const char *e1, const char *e2, const char *e3)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(WriteText(t, name, text, strlen(text), path));
  PetscCall(ExpectReadError(t, path, name, e1, e2, e3));
  (void)remove(path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestRoundTrip(Test *t)
{
  SbRaster *a, *b;
  char      path[PETSC_MAX_PATH_LEN];
  PetscBool same = PETSC_TRUE;
  /* Values that need 17 significant digits, tiny and negative ones, and no-data cells. */
  const PetscReal vals[12] = {1678, 0.1, -2.5e-7, 1234.5678901234567, NAN, 3, 1.0 / 3.0, -9998, 1e300, NAN, 0, 42.125};

  PetscFunctionBeginUser;
  PetscCall(SbRasterCreate(4, 3, 105.5, 30.8, 0.02, &a));
  a->has_nodata = PETSC_TRUE;
  a->nodata     = -9999;
  for (PetscInt i = 0; i < 12; i++) a->v[i] = vals[i];
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/good.asc", t->dir));
  PetscCall(SbRasterWrite(a, path));
  PetscCall(SbRasterRead(path, &b));
  PetscCall(Check(t, (PetscBool)(b->nx == 4 && b->ny == 3), "round trip: ncols 4, nrows 3"));
  PetscCall(Check(t, (PetscBool)(b->xll == a->xll && b->yll == a->yll && b->cellsize == a->cellsize), "round trip: corner and cell size exact"));
  PetscCall(Check(t, (PetscBool)(b->has_nodata && b->nodata == -9999), "round trip: NODATA_value -9999"));
  for (PetscInt i = 0; i < 12; i++)
    if (isnan(vals[i]) ? !isnan(b->v[i]) : b->v[i] != vals[i]) same = PETSC_FALSE;
  PetscCall(Check(t, same, "round trip: every value bit-exact, no-data cells NaN"));
  PetscCall(SbRasterDestroy(&b));
  PetscCall(SbRasterDestroy(&a));
  (void)remove(path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestHeaderVariants(Test *t)
{
  SbRaster   *r;
  char        path[PETSC_MAX_PATH_LEN];
  PetscBool   geo;
  /* xllcenter/yllcenter, keys in another order and case, CRLF line ends, rows wrapped. */
  const char *centre = "CELLSIZE 10\r\nnodata_value -1\r\nYLLCENTER 2005\r\nNcols 3\r\nXLLCENTER 1005\r\nNROWS 2\r\n1 2\r\n3 -1 5.5\r\n6\r\n";

  PetscFunctionBeginUser;
  PetscCall(WriteText(t, "centre.asc", centre, strlen(centre), path));
  PetscCall(SbRasterRead(path, &r));
  PetscCall(Check(t, (PetscBool)(r->nx == 3 && r->ny == 2 && r->cellsize == 10), "xllcenter variant: 3x2, cellsize 10"));
  PetscCall(Check(t, (PetscBool)(r->xll == 1000 && r->yll == 2000), "xllcenter variant: centre converted to corner (1000, 2000)"));
  PetscCall(Check(t, (PetscBool)(r->v[0] == 1 && r->v[2] == 3 && isnan(r->v[3]) && r->v[4] == 5.5 && r->v[5] == 6), "xllcenter variant: wrapped rows, nodata -1 read as NaN"));
  PetscCall(SbRasterIsGeographic(r, &geo));
  PetscCall(Check(t, (PetscBool)!geo, "a 10-unit grid at (1000, 2000) is projected"));
  PetscCall(SbRasterDestroy(&r));
  (void)remove(path);

  PetscCall(SbRasterParse("geo.asc", "ncols 5\nnrows 2\nxllcorner 105.5\nyllcorner 30.8\ncellsize 0.02\n1 2 3 4 5\n6 7 8 9 10\n", &r));
  PetscCall(SbRasterIsGeographic(r, &geo));
  PetscCall(Check(t, (PetscBool)(geo && !r->has_nodata), "a 0.02-degree grid at (105.5, 30.8) is geographic; no NODATA_value"));
  PetscCall(SbRasterDestroy(&r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestBadGrids(Test *t)
{
  const char *H = "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n";
  char        text[1024], path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(BadGrid(t, "no_cellsize.asc", "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\n1 2 3\n4 5 6\n", "header: missing cellsize", NULL, NULL));
  PetscCall(BadGrid(t, "no_rows.asc", "ncols 3\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3\n4 5 6\n", "header: missing nrows", NULL, NULL));
  /* Found by fuzz_raster: a header promising far more values than the file holds must fail before allocating them. */
  PetscCall(BadGrid(t, "huge_header.asc", "ncols 111111113\nnrows 6\nxllcorner 0\nyllcorner 4\ncellsize 10\n1 2 3\n", "666666678 values", "room for at most", NULL));
  PetscCall(PetscSNPrintf(text, sizeof(text), "%s1 2 3\n4 5 abc\n", H));
  PetscCall(BadGrid(t, "word.asc", text, "row 2, column 3", "expected a number", "\"abc\""));
  PetscCall(PetscSNPrintf(text, sizeof(text), "%s1 2 3\n4 5x 6\n", H));
  PetscCall(BadGrid(t, "glued.asc", text, "row 2, column 2", "\"5x\"", NULL));
  PetscCall(PetscSNPrintf(text, sizeof(text), "%s1 2 3\n4 5\n", H));
  PetscCall(BadGrid(t, "short.asc", text, "expected 3x2 = 6 values, found 5", NULL, NULL));
  PetscCall(PetscSNPrintf(text, sizeof(text), "%s1 2 3\n4 5 6\n7\n", H));
  PetscCall(BadGrid(t, "long.asc", text, "expected 3x2 = 6 values, found more", "line 8", NULL));
  PetscCall(PetscSNPrintf(text, sizeof(text), "%s1 NaN 3\n4 5 6\n", H));
  PetscCall(BadGrid(t, "nan.asc", text, "row 1, column 2", "expected a finite number", "\"NaN\""));
  PetscCall(PetscSNPrintf(text, sizeof(text), "%s1 2 3\n4 5 -inf\n", H));
  PetscCall(BadGrid(t, "inf.asc", text, "row 2, column 3", "\"-inf\"", NULL));
  PetscCall(PetscSNPrintf(text, sizeof(text), "%s1 2 3\n4 5 1e999\n", H));
  PetscCall(BadGrid(t, "overflow.asc", text, "row 2, column 3", "1e999", NULL));
  PetscCall(BadGrid(t, "neg_ncols.asc", "ncols -3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3 4 5 6\n", "line 1", "ncols: expected a positive integer", "\"-3\""));
  PetscCall(BadGrid(t, "frac_nrows.asc", "ncols 3\nnrows 2.5\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3 4 5 6\n", "line 2", "nrows", "\"2.5\""));
  PetscCall(BadGrid(t, "zero_cellsize.asc", "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 0\n1 2 3 4 5 6\n", "line 5", "cellsize: expected a positive number", NULL));
  PetscCall(BadGrid(t, "typo_key.asc", "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncelsize 1\n1 2 3 4 5 6\n", "line 5", "unknown key \"celsize\"", NULL));
  PetscCall(BadGrid(t, "dx_dy.asc", "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ndx 1\ndy 2\n1 2 3 4 5 6\n", "line 5", "non-square cells", NULL));
  PetscCall(BadGrid(t, "twice.asc", "ncols 3\nnrows 2\nNROWS 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3 4 5 6\n", "line 3", "nrows given twice", NULL));
  PetscCall(BadGrid(t, "corner_centre.asc", "ncols 3\nnrows 2\nxllcorner 0\nxllcenter 0.5\nyllcorner 0\ncellsize 1\n1 2 3 4 5 6\n", "line 4", "both xllcorner and xllcenter", NULL));
  PetscCall(BadGrid(t, "no_value.asc", "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize\n1 2 3 4 5 6\n", "line 5", "cellsize has no value", NULL));
  PetscCall(BadGrid(t, "extra_token.asc", "ncols 3 4\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3 4 5 6\n", "line 1", "unexpected \"4\" after the value of ncols", NULL));
  PetscCall(BadGrid(t, "bad_nodata.asc", "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value none\n1 2 3 4 5 6\n", "line 6", "NODATA_value: expected a finite number", "\"none\""));
  PetscCall(BadGrid(t, "bad_corner.asc", "ncols 3\nnrows 2\nxllcorner 0,5\nyllcorner 0\ncellsize 1\n1 2 3 4 5 6\n", "line 3", "xllcorner", "\"0,5\""));
  PetscCall(BadGrid(t, "empty.asc", "", "empty", NULL, NULL));
  PetscCall(BadGrid(t, "blank.asc", " \n\n", "header: missing ncols, nrows, xllcorner|xllcenter, yllcorner|yllcenter, cellsize", NULL, NULL));
  {
    static const char binary[] = "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\0 3 4 5 6\n";

    PetscCall(WriteText(t, "binary.asc", binary, sizeof(binary) - 1, path));
    PetscCall(ExpectReadError(t, path, "binary.asc", "line 6", "NUL byte", "not a text file"));
    (void)remove(path);
  }
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/does_not_exist.asc", t->dir));
  PetscCall(ExpectReadError(t, path, "does_not_exist.asc", "cannot open", NULL, NULL));
  PetscCall(ExpectReadError(t, t->dir, t->dir, "is a directory", NULL, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestSameGrid(Test *t)
{
  SbRaster      *a, *b, *c;
  Capture        cap = {0, ""};
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(SbRasterCreate(3, 2, 0, 0, 1, &a));
  PetscCall(SbRasterCreate(3, 2, 1e-8, 0, 1, &b));
  PetscCall(SbRasterCreate(3, 2, 0.5, 0, 1, &c));
  PetscCall(SbRasterCheckSameGrid(a, "dem.asc", b, "mask.asc"));
  PetscCall(Check(t, PETSC_TRUE, "grids 1e-8 cell apart count as the same grid"));
  PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
  ierr = SbRasterCheckSameGrid(a, "dem.asc", c, "soil.asc");
  PetscCall(PetscPopErrorHandler());
  PetscCall(Check(t, (PetscBool)(ierr == PETSC_ERR_USER_INPUT && strstr(cap.msg, "dem.asc") && strstr(cap.msg, "soil.asc")), "a shifted grid is rejected naming both files"));
  PetscCall(SbRasterDestroy(&a));
  PetscCall(SbRasterDestroy(&b));
  PetscCall(SbRasterDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestWriteChecks(Test *t)
{
  SbRaster      *a;
  Capture        cap = {0, ""};
  PetscErrorCode ierr;
  char           path[PETSC_MAX_PATH_LEN];
  PetscBool      exists;

  PetscFunctionBeginUser;
  PetscCall(SbRasterCreate(2, 2, 0, 0, 1, &a));
  a->v[3] = NAN;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/nan_without_nodata.asc", t->dir));
  PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
  ierr = SbRasterWrite(a, path);
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscTestFile(path, 'r', &exists));
  PetscCall(Check(t, (PetscBool)(ierr == PETSC_ERR_ARG_WRONG && strstr(cap.msg, "row 2, column 2") && !exists), "writing NaN without a NODATA_value is refused and leaves no file"));
  PetscCall(SbRasterDestroy(&a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  Test t;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "Unit test of mesh/raster.c"));
  PetscCall(PetscMemzero(&t, sizeof(t)));
  PetscCall(PetscStrncpy(t.dir, "/tmp/sb_test_raster_XXXXXX", sizeof(t.dir)));
  PetscCheck(mkdtemp(t.dir), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create a temporary directory");
  PetscCall(TestRoundTrip(&t));
  PetscCall(TestHeaderVariants(&t));
  PetscCall(TestBadGrids(&t));
  PetscCall(TestSameGrid(&t));
  PetscCall(TestWriteChecks(&t));
  (void)rmdir(t.dir);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "test_raster: %" PetscInt_FMT " checks, %" PetscInt_FMT " failed\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
