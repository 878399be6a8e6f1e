/* ESRI ASCII grid (.asc) reader and writer.

   Format (ESRI, "ESRI ASCII raster format", ArcGIS documentation): a header of "key value" lines,
   keys case-insensitive and in any order: ncols, nrows, xllcorner or xllcenter, yllcorner or
   yllcenter, cellsize, and optionally NODATA_value; then nrows x ncols numbers, row 0 at the north
   edge, separated by any white space (rows may wrap over several lines).

   The whole file is read in one go and parsed with strtod so that a 12-million-cell grid takes a
   few seconds at most. Every malformed input is a one-line PETSC_ERR_USER_INPUT error that names
   the file and what is wrong; rows and columns in messages are 1-based. */
#include "raster.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { KEY_NCOLS, KEY_NROWS, KEY_XLLCORNER, KEY_XLLCENTER, KEY_YLLCORNER, KEY_YLLCENTER, KEY_CELLSIZE, KEY_NODATA, KEY_COUNT } HeaderKey;

static const char *const header_keys[KEY_COUNT] = {"ncols", "nrows", "xllcorner", "xllcenter", "yllcorner", "yllcenter", "cellsize", "NODATA_value"};

/* Longest token quoted back in an error message. */
#define SB_RASTER_QUOTE 40

static inline int IsSpace(char ch)
{
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static inline int IsBlank(char ch)
{
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static inline int IsAlpha(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

/* Copy the white-space delimited token at p into quote (truncated, "..." appended). */
static PetscErrorCode QuoteToken(const char *p, char quote[SB_RASTER_QUOTE + 4])
{
  size_t n = 0;

  PetscFunctionBeginUser;
  while (p[n] && !IsSpace(p[n]) && n < SB_RASTER_QUOTE) n++;
  PetscCall(PetscMemcpy(quote, p, n));
  quote[n] = '\0';
  if (p[n] && !IsSpace(p[n])) PetscCall(PetscStrlcat(quote, "...", SB_RASTER_QUOTE + 4));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* 1-based line number of position p in text. Only used to compose error messages. */
static PetscErrorCode LineOf(const char *text, const char *p, PetscInt *line)
{
  PetscFunctionBeginUser;
  *line = 1;
  for (const char *q = text; q < p; q++)
    if (*q == '\n') (*line)++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Parse a whole token [p, end) as a finite real; ok = PETSC_FALSE otherwise. */
static PetscErrorCode ParseReal(const char *p, const char *end, PetscReal *v, PetscBool *ok)
{
  char *stop;

  PetscFunctionBeginUser;
  *v  = strtod(p, &stop);
  *ok = (stop == end && stop != p && isfinite(*v)) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ParseHeaderValue(const char *name, HeaderKey key, const char *p, const char *end, PetscInt line, SbRaster *r)
{
  char      quote[SB_RASTER_QUOTE + 4];
  PetscReal v;
  PetscBool ok;

  PetscFunctionBeginUser;
  PetscCall(QuoteToken(p, quote));
  if (key == KEY_NCOLS || key == KEY_NROWS) {
    char *stop;
    long  n = strtol(p, &stop, 10);

    PetscCheck(stop == end && stop != p && n > 0 && n <= PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": %s: expected a positive integer, got \"%s\"", name, line, header_keys[key], quote);
    if (key == KEY_NCOLS) r->nx = (PetscInt)n;
    else r->ny = (PetscInt)n;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(ParseReal(p, end, &v, &ok));
  PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": %s: expected a finite number, got \"%s\"", name, line, header_keys[key], quote);
  switch (key) {
  case KEY_XLLCORNER:
  case KEY_XLLCENTER:
    r->xll = v;
    break;
  case KEY_YLLCORNER:
  case KEY_YLLCENTER:
    r->yll = v;
    break;
  case KEY_CELLSIZE:
    PetscCheck(v > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": cellsize: expected a positive number, got \"%s\"", name, line, quote);
    r->cellsize = v;
    break;
  case KEY_NODATA:
    r->has_nodata = PETSC_TRUE;
    r->nodata     = v;
    break;
  default:
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Parse the header; on return *data points at the first data token. */
static PetscErrorCode ParseHeader(const char *name, const char *text, SbRaster *r, const char **data)
{
  PetscBool   seen[KEY_COUNT] = {PETSC_FALSE};
  const char *p               = text;
  char        missing[128]    = "";

  PetscFunctionBeginUser;
  for (;;) {
    const char *key, *kend, *val, *vend;
    PetscInt    line, k;
    PetscBool   complete;
    char        quote[SB_RASTER_QUOTE + 4];

    while (IsSpace(*p)) p++;
    if (!*p || !IsAlpha(*p)) break;
    key = p;
    while (*p && !IsSpace(*p)) p++;
    kend = p;
    for (k = 0; k < KEY_COUNT; k++)
      if ((size_t)(kend - key) == strlen(header_keys[k]) && !strncasecmp(key, header_keys[k], (size_t)(kend - key))) break;
    complete = (seen[KEY_NCOLS] && seen[KEY_NROWS] && (seen[KEY_XLLCORNER] || seen[KEY_XLLCENTER]) && (seen[KEY_YLLCORNER] || seen[KEY_YLLCENTER]) && seen[KEY_CELLSIZE]) ? PETSC_TRUE : PETSC_FALSE;
    if (k == KEY_COUNT && complete) {
      p = key; /* a word after a complete header: data, reported there as "expected a number" */
      break;
    }
    PetscCall(LineOf(text, key, &line));
    PetscCall(QuoteToken(key, quote));
    PetscCheck(!((kend - key == 2) && (!strncasecmp(key, "dx", 2) || !strncasecmp(key, "dy", 2))), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": %s: non-square cells (dx/dy, as GDAL writes them) are not supported; resample to square cells", name, line, quote);
    PetscCheck(k < KEY_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": unknown key \"%s\" (expected ncols, nrows, xllcorner|xllcenter, yllcorner|yllcenter, cellsize, NODATA_value)", name, line, quote);
    PetscCheck(!seen[k], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": %s given twice", name, line, header_keys[k]);
    PetscCheck(!((k == KEY_XLLCORNER && seen[KEY_XLLCENTER]) || (k == KEY_XLLCENTER && seen[KEY_XLLCORNER])), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": both xllcorner and xllcenter given", name, line);
    PetscCheck(!((k == KEY_YLLCORNER && seen[KEY_YLLCENTER]) || (k == KEY_YLLCENTER && seen[KEY_YLLCORNER])), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": both yllcorner and yllcenter given", name, line);
    seen[k] = PETSC_TRUE;
    while (IsBlank(*p)) p++;
    PetscCheck(*p && *p != '\n', PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": %s has no value", name, line, header_keys[k]);
    val = p;
    while (*p && !IsSpace(*p)) p++;
    vend = p;
    PetscCall(ParseHeaderValue(name, (HeaderKey)k, val, vend, line, r));
    while (IsBlank(*p)) p++;
    PetscCall(QuoteToken(p, quote));
    PetscCheck(!*p || *p == '\n', PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header line %" PetscInt_FMT ": unexpected \"%s\" after the value of %s", name, line, quote, header_keys[k]);
  }
  if (!seen[KEY_NCOLS]) PetscCall(PetscStrlcat(missing, missing[0] ? ", ncols" : " ncols", sizeof(missing)));
  if (!seen[KEY_NROWS]) PetscCall(PetscStrlcat(missing, missing[0] ? ", nrows" : " nrows", sizeof(missing)));
  if (!seen[KEY_XLLCORNER] && !seen[KEY_XLLCENTER]) PetscCall(PetscStrlcat(missing, missing[0] ? ", xllcorner|xllcenter" : " xllcorner|xllcenter", sizeof(missing)));
  if (!seen[KEY_YLLCORNER] && !seen[KEY_YLLCENTER]) PetscCall(PetscStrlcat(missing, missing[0] ? ", yllcorner|yllcenter" : " yllcorner|yllcenter", sizeof(missing)));
  if (!seen[KEY_CELLSIZE]) PetscCall(PetscStrlcat(missing, missing[0] ? ", cellsize" : " cellsize", sizeof(missing)));
  PetscCheck(*text, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the file is empty", name);
  PetscCheck(!missing[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header: missing%s", name, missing);
  PetscCheck((double)r->nx * (double)r->ny <= (double)PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: header: %" PetscInt_FMT "x%" PetscInt_FMT " cells is more than this build of PETSc can index", name, r->nx, r->ny);
  /* ESRI: a *center value is the centre of the lower-left cell; store the corner. */
  if (seen[KEY_XLLCENTER]) r->xll -= 0.5 * r->cellsize;
  if (seen[KEY_YLLCENTER]) r->yll -= 0.5 * r->cellsize;
  *data = p;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ParseData(const char *name, const char *text, const char *p, SbRaster *r)
{
  const PetscInt n = r->nx * r->ny;
  PetscInt       k = 0;
  char           quote[SB_RASTER_QUOTE + 4];

  PetscFunctionBeginUser;
  for (;;) {
    char     *end;
    PetscReal v;

    while (IsSpace(*p)) p++;
    if (!*p) break;
    if (k == n) {
      PetscInt line;

      PetscCall(LineOf(text, p, &line));
      PetscCall(QuoteToken(p, quote));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected %" PetscInt_FMT "x%" PetscInt_FMT " = %" PetscInt_FMT " values, found more (\"%s\" on line %" PetscInt_FMT ")", name, r->nx, r->ny, n, quote, line);
    }
    v = strtod(p, &end);
    if (end == p || (*end && !IsSpace(*end))) {
      PetscCall(QuoteToken(p, quote));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: row %" PetscInt_FMT ", column %" PetscInt_FMT ": expected a number, got \"%s\"", name, k / r->nx + 1, k % r->nx + 1, quote);
    }
    if (!isfinite(v)) {
      PetscCall(QuoteToken(p, quote));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: row %" PetscInt_FMT ", column %" PetscInt_FMT ": expected a finite number (mark missing cells with NODATA_value), got \"%s\"", name, k / r->nx + 1, k % r->nx + 1, quote);
    }
    r->v[k++] = (r->has_nodata && v == r->nodata) ? (PetscReal)NAN : v;
    p = end;
  }
  PetscCheck(k == n, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected %" PetscInt_FMT "x%" PetscInt_FMT " = %" PetscInt_FMT " values, found %" PetscInt_FMT, name, r->nx, r->ny, n, k);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ParseInto(const char *name, const char *text, SbRaster *r)
{
  const char *data = NULL;

  PetscFunctionBeginUser;
  PetscCall(ParseHeader(name, text, r, &data));
  /* Every value takes at least two bytes (a digit and a separator, the last one none), so a
     header promising more values than the data could hold is an error before any allocation:
     a damaged "ncols 111111113" must not ask for gigabytes (found by fuzz_raster). Small grids
     go on to the exact count of ParseData, whose message says how many values there were. */
  {
    const double most = PetscFloorReal(0.5 * ((double)strlen(data) + 1.0)), want = (double)r->nx * (double)r->ny;

    PetscCheck(want <= most || want < 1048576.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected %" PetscInt_FMT "x%" PetscInt_FMT " = %.0f values, but the data after the header has room for at most %.0f", name, r->nx, r->ny, want, most);
  }
  PetscCall(PetscMalloc1((size_t)r->nx * (size_t)r->ny, &r->v));
  PetscCall(ParseData(name, text, data, r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRasterParse(const char *name, const char *text, SbRaster **raster)
{
  SbRaster      *r;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *raster = NULL;
  PetscCall(PetscNew(&r));
  /* A UTF-8 byte-order mark, as Windows editors and some GIS exports write, is not content. */
  if (!strncmp(text, "\xEF\xBB\xBF", 3)) text += 3;
  /* Free what was allocated before passing an input error on, so a failed read leaks nothing. */
  ierr = ParseInto(name, text, r);
  if (ierr) {
    PetscCall(SbRasterDestroy(&r));
    PetscCall(ierr);
  }
  *raster = r;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRasterReadText(const char *path, char **text)
{
  PetscBool isdir, isfile;
  FILE     *fp;
  long      len;
  size_t    got;
  char     *buf;
  char     *nul;

  PetscFunctionBeginUser;
  *text = NULL;
  PetscCall(PetscTestDirectory(path, 'r', &isdir));
  PetscCheck(!isdir, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: is a directory, expected a file", path);
  PetscCall(PetscTestFile(path, 'r', &isfile));
  PetscCheck(isfile, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot open the file (missing or not readable)", path);
  fp = fopen(path, "rb");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot open the file (missing or not readable)", path);
  if (fseek(fp, 0, SEEK_END) || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
    (void)fclose(fp);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot determine the file size", path);
  }
  PetscCall(PetscMalloc1((size_t)len + 1, &buf));
  got = fread(buf, 1, (size_t)len, fp);
  (void)fclose(fp);
  if (got != (size_t)len) {
    PetscCall(PetscFree(buf));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: read %zu of %ld bytes", path, got, len);
  }
  buf[len] = '\0';
  nul      = memchr(buf, '\0', (size_t)len);
  if (nul) {
    PetscInt line;

    PetscCall(LineOf(buf, nul, &line));
    PetscCall(PetscFree(buf));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": NUL byte, this is not a text file", path, line);
  }
  *text = buf;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRasterRead(const char *path, SbRaster **raster)
{
  char          *text = NULL;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *raster = NULL;
  PetscCall(SbRasterReadText(path, &text));
  ierr = SbRasterParse(path, text, raster);
  PetscCall(PetscFree(text));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Shortest of %.15g and %.17g that reads back to exactly v. */
static PetscErrorCode FormatReal(PetscReal v, char buf[32])
{
  PetscFunctionBeginUser;
  (void)snprintf(buf, 32, "%.15g", (double)v);
  if (strtod(buf, NULL) != v) (void)snprintf(buf, 32, "%.17g", (double)v);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteContents(const SbRaster *r, FILE *fp)
{
  char     nodata[32], num[32];
  PetscInt n = r->nx * r->ny;

  PetscFunctionBeginUser;
  PetscCall(FormatReal(r->nodata, nodata));
  PetscCall(FormatReal(r->xll, num));
  fprintf(fp, "ncols %" PetscInt_FMT "\nnrows %" PetscInt_FMT "\nxllcorner %s\n", r->nx, r->ny, num);
  PetscCall(FormatReal(r->yll, num));
  fprintf(fp, "yllcorner %s\n", num);
  PetscCall(FormatReal(r->cellsize, num));
  fprintf(fp, "cellsize %s\n", num);
  if (r->has_nodata) fprintf(fp, "NODATA_value %s\n", nodata);
  for (PetscInt k = 0; k < n; k++) {
    const char *s = num;

    if (isnan(r->v[k])) s = nodata;
    else PetscCall(FormatReal(r->v[k], num));
    fputs(s, fp);
    fputc((k + 1) % r->nx ? ' ' : '\n', fp);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRasterWrite(const SbRaster *r, const char *path)
{
  char           partial[PETSC_MAX_PATH_LEN];
  FILE          *fp;
  PetscErrorCode ierr;
  int            bad;

  PetscFunctionBeginUser;
  PetscCheck(r->nx > 0 && r->ny > 0 && r->cellsize > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s: cannot write a raster of %" PetscInt_FMT "x%" PetscInt_FMT " cells of size %.10g", path, r->nx, r->ny, (double)r->cellsize);
  PetscCheck(!r->has_nodata || isfinite(r->nodata), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s: NODATA_value must be finite", path);
  for (PetscInt k = 0; k < r->nx * r->ny; k++) {
    PetscCheck(!isinf(r->v[k]), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s: row %" PetscInt_FMT ", column %" PetscInt_FMT " is infinite", path, k / r->nx + 1, k % r->nx + 1);
    PetscCheck(r->has_nodata || !isnan(r->v[k]), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s: row %" PetscInt_FMT ", column %" PetscInt_FMT " is NaN and the raster has no NODATA_value", path, k / r->nx + 1, k % r->nx + 1);
  }
  PetscCall(PetscSNPrintf(partial, sizeof(partial), "%s.partial", path));
  fp = fopen(partial, "w");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot create the file (is the directory there and writable?)", path);
  ierr = WriteContents(r, fp);
  bad  = ferror(fp);
  bad  = fclose(fp) || bad;
  if (ierr || bad) {
    (void)remove(partial);
    PetscCall(ierr);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: write failed (disk full?)", path);
  }
  PetscCheck(!rename(partial, path), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot rename %s into place", path, partial);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRasterCreate(PetscInt nx, PetscInt ny, PetscReal xll, PetscReal yll, PetscReal cellsize, SbRaster **raster)
{
  SbRaster *r;

  PetscFunctionBeginUser;
  PetscCheck(nx > 0 && ny > 0 && cellsize > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "raster: need nx, ny, cellsize > 0, got %" PetscInt_FMT ", %" PetscInt_FMT ", %.10g", nx, ny, (double)cellsize);
  PetscCall(PetscNew(&r));
  r->nx       = nx;
  r->ny       = ny;
  r->xll      = xll;
  r->yll      = yll;
  r->cellsize = cellsize;
  PetscCall(PetscCalloc1((size_t)nx * (size_t)ny, &r->v));
  *raster = r;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRasterDestroy(SbRaster **raster)
{
  PetscFunctionBeginUser;
  if (!*raster) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*raster)->v));
  PetscCall(PetscFree(*raster));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRasterIsGeographic(const SbRaster *r, PetscBool *geographic)
{
  const PetscReal xur = r->xll + r->nx * r->cellsize, yur = r->yll + r->ny * r->cellsize;

  PetscFunctionBeginUser;
  *geographic = (r->xll >= -180 && xur <= 360 && r->yll >= -90 && yur <= 90 && r->cellsize < 1) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRasterCheckSameGrid(const SbRaster *a, const char *path_a, const SbRaster *b, const char *path_b)
{
  const PetscReal tol = 1e-6 * a->cellsize;

  PetscFunctionBeginUser;
  PetscCheck(a->nx == b->nx && a->ny == b->ny && PetscAbsReal(a->xll - b->xll) <= tol && PetscAbsReal(a->yll - b->yll) <= tol && PetscAbsReal(a->cellsize - b->cellsize) <= tol, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: grid %" PetscInt_FMT "x%" PetscInt_FMT " at (%.10g, %.10g) with cellsize %.10g differs from %s: %" PetscInt_FMT "x%" PetscInt_FMT " at (%.10g, %.10g) with cellsize %.10g (every raster must be on the DEM's grid)", path_b, b->nx, b->ny,
             (double)b->xll, (double)b->yll, (double)b->cellsize, path_a, a->nx, a->ny, (double)a->xll, (double)a->yll, (double)a->cellsize);
  PetscFunctionReturn(PETSC_SUCCESS);
}
