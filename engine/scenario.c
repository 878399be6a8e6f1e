/* Scenario files: rank 0 reads each file of an `extends` chain and broadcasts its bytes; every rank
   parses it with cJSON, checks it against the schema table SbKeys below, merges the chain and
   fills SbScenario. The same table prints the reference in scenarios/README.md.

   User-input errors are collected in an SbCheck (the first one wins) rather than raised where they
   are found, so that the cJSON trees and buffers are freed before SbScenarioLoad raises the single
   PETSC_ERR_USER_INPUT error; every rank sees the same bytes and so raises the same message. */
#include "scenario.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define SB_SCENARIO_MAX_BYTES   (16 * 1024 * 1024) /* larger files are refused before parsing */
#define SB_SCENARIO_MAX_DEPTH   64                 /* nesting of objects and arrays */
#define SB_SCENARIO_MAX_EXTENDS 16                 /* files a scenario may extend, directly or not */
#define SB_SCENARIO_MSG_LEN     1024
#define SB_SCENARIO_KEY_LEN     256 /* schema paths ("forcing.rain.time_h") */
#define SB_SCENARIO_JPATH_LEN   512 /* JSON paths shown in messages ("a.b[3]") */
#define SB_SCENARIO_COMMENT     "//" /* keys starting with this are comments, allowed in every object */

/* ------------------------------------------------------------------------------------------------
   The schema. One row per key; a row's key is its JSON path from the root. Rows of an object come
   after the object's own row; the reference lists rows in this order. To add a key: add a row and,
   if the engine needs the value, a field in SbScenario named in the row with SB_FIELD.
   ------------------------------------------------------------------------------------------------ */
typedef enum {
  SB_KEY_OBJECT,
  SB_KEY_STRING,      /* lo: least length; the greatest is the field size less one */
  SB_KEY_PATH,        /* a file path; a relative one is resolved against the directory of the file that sets it */
  SB_KEY_DATETIME,    /* ISO 8601 "YYYY-MM-DDThh:mm:ss" */
  SB_KEY_NUMBER,      /* lo, hi, ends: the allowed range */
  SB_KEY_INTEGER,     /* lo, hi, ends: the allowed range */
  SB_KEY_BOOL,        /* true or false */
  SB_KEY_ENUM,        /* values: the allowed strings, separated by '|' */
  SB_KEY_NUMBER_ARRAY, /* min_items and, for each element, lo, hi, ends */
  SB_KEY_JSON          /* values: "array" or "object"; the value is kept as JSON text (a char * field) and checked by
                          the module that reads it; count_offset: a char[PETSC_MAX_PATH_LEN] field for the file that set it */
} SbKeyType;

static const char *const SbKeyTypeNames[] = {"object", "string", "path", "date-time", "number", "integer", "boolean", "enum", "number array", "JSON"};

#define SB_KEY_REQUIRED      0x1 /* an error if absent while its parent object is present */
#define SB_KEY_NOT_INHERITED 0x2 /* a file that extends another does not take this key from it */
#define SB_KEY_DEFAULT_STEM  0x4 /* default: the name of the scenario file without .json */
#define SB_KEY_ONE_OF        0x8 /* at most one of the keys so flagged in an object; a file that sets one
                                    replaces those its parents set (MergeChain, CheckOneOf) */

typedef struct {
  const char *key;       /* JSON path from the root, e.g. "routing.cfl" */
  SbKeyType   type;
  const char *unit;      /* unit of the value as written in the file; "" if none or dimensionless */
  double      lo, hi;    /* allowed range of numbers and of each array element */
  const char *ends;      /* two characters: '[' or '(' closed or open at lo, ' ' unbounded below; ']' or ')' or ' ' at hi */
  PetscInt    min_items; /* arrays: least number of elements */
  const char *values;    /* enums: allowed values separated by '|' */
  double      def;       /* numbers: default, in unit */
  const char *def_text;  /* strings and enums: default; NULL: none */
  int         flags;     /* SB_KEY_* */
  PetscBool   field;     /* whether the value is stored in SbScenario, at offset (size bytes) */
  size_t      offset, size;
  size_t      count_offset; /* arrays: the PetscInt field that holds the length */
  double      to_si;        /* factor from unit to the unit of the field (3600 for h to s) */
  const char *meaning;      /* one line for the reference */
} SbKey;

#define SB_FIELD(f) .field = PETSC_TRUE, .offset = offsetof(SbScenario, f), .size = sizeof(((SbScenario *)0)->f)

static const SbKey SbKeys[] = {
/* One file of rows per part of the engine, so that each part's keys live beside each other;
   the order of the includes is the order of the reference. */
#include "keys_core.inc"
#include "keys_forcing.inc"
#include "keys_water.inc"
#include "keys_vertical.inc"
#include "keys_routing.inc"
#include "keys_sediment.inc"
#include "keys_output.inc"
#include "keys_assessment.inc"
#include "keys_cover.inc"
#include "keys_measures.inc"
};

#define SB_NKEYS ((PetscInt)(sizeof(SbKeys) / sizeof(SbKeys[0])))

/* ------------------------------------------------------------------------------------------------
   Small text helpers (pure functions, no PETSc calls)
   ------------------------------------------------------------------------------------------------ */

/* Shortest text that reads back as x. */
static void FormatNumber(double x, char *buf, size_t n)
{
  if (x == floor(x) && fabs(x) < 1e15) snprintf(buf, n, "%.0f", x);
  else {
    snprintf(buf, n, "%.15g", x);
    if (strtod(buf, NULL) != x) snprintf(buf, n, "%.17g", x);
  }
}

/* "(0, 1]", "> 0", ">= 0", or "" when unbounded. */
static void FormatRange(const SbKey *k, char *buf, size_t n)
{
  char lo[32], hi[32];

  FormatNumber(k->lo, lo, sizeof(lo));
  FormatNumber(k->hi, hi, sizeof(hi));
  if (!k->ends || k->ends[0] == ' ') {
    if (k->ends && k->ends[1] != ' ') snprintf(buf, n, "%s %s", k->ends[1] == ']' ? "<=" : "<", hi);
    else snprintf(buf, n, "%s", "");
  } else if (k->ends[1] == ' ') snprintf(buf, n, "%s %s", k->ends[0] == '[' ? ">=" : ">", lo);
  else snprintf(buf, n, "%c%s, %s%c", k->ends[0], lo, hi, k->ends[1]);
}

static PetscBool InRange(const SbKey *k, double x)
{
  if (!k->ends) return PETSC_TRUE;
  if (k->ends[0] == '[' && !(x >= k->lo)) return PETSC_FALSE;
  if (k->ends[0] == '(' && !(x > k->lo)) return PETSC_FALSE;
  if (k->ends[1] == ']' && !(x <= k->hi)) return PETSC_FALSE;
  if (k->ends[1] == ')' && !(x < k->hi)) return PETSC_FALSE;
  return PETSC_TRUE;
}

static size_t StringMax(const SbKey *k)
{
  return (k->field ? k->size : PETSC_MAX_PATH_LEN) - 1;
}

/* `a number in (0, 1] (mm/h)`, `one of "a", "b"`, ... : what a key expects. For number arrays,
   element selects the expectation for one element rather than for the array. */
static void FormatExpected(const SbKey *k, PetscBool element, char *buf, size_t n)
{
  char        range[96], unit[48] = "", what[64];
  const char *v;
  size_t      len;

  FormatRange(k, range, sizeof(range));
  if (k->unit && k->unit[0]) snprintf(unit, sizeof(unit), " (%s)", k->unit);
  switch (k->type) {
  case SB_KEY_OBJECT:
    snprintf(buf, n, "an object");
    break;
  case SB_KEY_JSON:
    snprintf(buf, n, "an %s", k->values);
    break;
  case SB_KEY_STRING:
  case SB_KEY_PATH:
    snprintf(what, sizeof(what), "%s", k->type == SB_KEY_PATH ? "a file path" : "a string");
    if (k->lo > 0) snprintf(buf, n, "%s of %.0f to %zu characters", what, k->lo, StringMax(k));
    else snprintf(buf, n, "%s of at most %zu characters", what, StringMax(k));
    break;
  case SB_KEY_DATETIME:
    snprintf(buf, n, "a date-time \"YYYY-MM-DDThh:mm:ss\"");
    break;
  case SB_KEY_NUMBER:
  case SB_KEY_INTEGER:
  case SB_KEY_NUMBER_ARRAY:
    if (k->type == SB_KEY_NUMBER_ARRAY && !element) snprintf(what, sizeof(what), "an array of %" PetscInt_FMT " or more numbers", k->min_items);
    else snprintf(what, sizeof(what), "%s", k->type == SB_KEY_INTEGER ? "an integer" : "a number");
    if (!range[0]) snprintf(buf, n, "%s%s", what, unit);
    else if (range[0] == '(' || range[0] == '[') snprintf(buf, n, "%s in %s%s", what, range, unit);
    else snprintf(buf, n, "%s %s%s", what, range, unit);
    break;
  case SB_KEY_BOOL:
    snprintf(buf, n, "true or false");
    break;
  case SB_KEY_ENUM:
    len = (size_t)snprintf(buf, n, "one of ");
    for (v = k->values; *v && len < n;) {
      size_t w = strcspn(v, "|");

      len += (size_t)snprintf(buf + len, n - len, "%s\"%.*s\"", v == k->values ? "" : ", ", (int)w, v);
      v += w + (v[w] == '|');
    }
    break;
  }
}

/* What a JSON value is, for the "got ..." part of a message. */
static void Describe(const cJSON *v, char *buf, size_t n)
{
  if (cJSON_IsNumber(v)) {
    if (isfinite(v->valuedouble)) FormatNumber(v->valuedouble, buf, n);
    else snprintf(buf, n, "a number too large to represent");
  } else if (cJSON_IsString(v)) {
    size_t len = strlen(v->valuestring), i, j = 0;

    if (len > 60 || n < 8) {
      snprintf(buf, n, "a string of %zu characters", len);
      return;
    }
    buf[j++] = '"';
    for (i = 0; i < len && j + 4 < n; i++) {
      unsigned char c = (unsigned char)v->valuestring[i];

      if (c == '"' || c == '\\') {
        buf[j++] = '\\';
        buf[j++] = (char)c;
      } else buf[j++] = c < 0x20 ? '?' : (char)c;
    }
    buf[j++] = '"';
    buf[j]   = 0;
  } else if (cJSON_IsTrue(v)) snprintf(buf, n, "true");
  else if (cJSON_IsFalse(v)) snprintf(buf, n, "false");
  else if (cJSON_IsNull(v)) snprintf(buf, n, "null");
  else if (cJSON_IsArray(v)) {
    int size = cJSON_GetArraySize(v);

    if (size == 0) snprintf(buf, n, "an empty array");
    else snprintf(buf, n, "an array of %d value%s", size, size == 1 ? "" : "s");
  } else if (cJSON_IsObject(v)) snprintf(buf, n, "an object");
  else snprintf(buf, n, "an invalid value");
}

/* The JSON path of a child: "a.b" for identifier-like keys, a["odd key"] otherwise. */
static void JoinPath(const char *parent, const char *key, char *buf, size_t n)
{
  PetscBool plain = key[0] ? PETSC_TRUE : PETSC_FALSE;
  size_t    i;

  for (i = 0; key[i]; i++)
    if (!(key[i] == '_' || key[i] == '-' || key[i] == '$' || (key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z'))) plain = PETSC_FALSE;
  if (!parent[0]) snprintf(buf, n, plain ? "%s" : "[\"%s\"]", key);
  else snprintf(buf, n, plain ? "%s.%s" : "%s[\"%s\"]", parent, key);
}

static PetscBool IsComment(const char *key)
{
  return strncmp(key, SB_SCENARIO_COMMENT, strlen(SB_SCENARIO_COMMENT)) ? PETSC_FALSE : PETSC_TRUE;
}

static const SbKey *FindKey(const char *key)
{
  PetscInt i;

  for (i = 0; i < SB_NKEYS; i++)
    if (!strcmp(SbKeys[i].key, key)) return &SbKeys[i];
  return NULL;
}

/* Length of the parent part of a schema key ("forcing.rain" in "forcing.rain.type"), 0 at the root. */
static size_t ParentLength(const char *key)
{
  const char *dot = strrchr(key, '.');

  return dot ? (size_t)(dot - key) : 0;
}

static const char *Leaf(const char *key)
{
  const char *dot = strrchr(key, '.');

  return dot ? dot + 1 : key;
}

static PetscBool IsChildOf(const SbKey *k, const char *parent)
{
  size_t n = ParentLength(k->key);

  return (n == strlen(parent) && !strncmp(k->key, parent, n)) ? PETSC_TRUE : PETSC_FALSE;
}

/* Find a node by schema path ("forcing.rain"); "" is the root. */
static cJSON *FindNode(const cJSON *root, const char *key)
{
  cJSON      *node = (cJSON *)root;
  const char *s    = key;
  char        part[SB_SCENARIO_KEY_LEN];

  while (*s && node) {
    size_t w = strcspn(s, ".");

    if (w >= sizeof(part)) return NULL;
    memcpy(part, s, w);
    part[w] = 0;
    node    = cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, part) : NULL;
    s += w + (s[w] == '.');
  }
  return node;
}

/* Levenshtein distance of two short strings; a large number when either is longer than 63. */
static size_t EditDistance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b), i, j, row[64];

  if (la > 63 || lb > 63) return 1000;
  for (j = 0; j <= lb; j++) row[j] = j;
  for (i = 1; i <= la; i++) {
    size_t diag = row[0];

    row[0] = i;
    for (j = 1; j <= lb; j++) {
      size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag   = up;
    }
  }
  return row[lb];
}

/* The part of a key before its unit suffix: "duration" for "duration_h" and "duration_min". */
static size_t StemLength(const char *key)
{
  const char *u = strrchr(key, '_');

  return u ? (size_t)(u - key) : strlen(key);
}

/* The known key of an object that an unknown one most likely meant, or NULL: same key in another
   case, the key without its unit suffix ("duration" for "duration_h"), a near miss (at most two
   edits), or the same stem with another unit ("duration_min" for "duration_h"). */
static const SbKey *Suggest(const char *parent, const char *given)
{
  const SbKey *best      = NULL;
  int          bestscore = 100;
  PetscInt     i;

  for (i = 0; i < SB_NKEYS; i++) {
    const SbKey *k    = &SbKeys[i];
    const char  *leaf = Leaf(k->key);
    size_t       lg = strlen(given), sg = StemLength(given), d;
    int          score = 100;

    if (!IsChildOf(k, parent)) continue;
    d = EditDistance(given, leaf);
    if (!strcasecmp(leaf, given)) score = 0;
    else if (!strncmp(leaf, given, lg) && leaf[lg] == '_') score = 1;
    else if (d <= 2 && d < strlen(leaf)) score = 2;
    else if (sg < lg && sg == StemLength(leaf) && !strncmp(leaf, given, sg)) score = 3;
    if (score < bestscore) {
      best      = k;
      bestscore = score;
    }
  }
  return best;
}

/* ISO 8601 "YYYY-MM-DDThh:mm:ss", a real calendar date (Gregorian leap years). */
static PetscBool IsDateTime(const char *s)
{
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const char      *pattern  = "dddd-dd-ddTdd:dd:dd";
  int              y, mo, d, h, mi, se, i, leap;

  if (strlen(s) != strlen(pattern)) return PETSC_FALSE;
  for (i = 0; pattern[i]; i++)
    if (pattern[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pattern[i]) return PETSC_FALSE;
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6) return PETSC_FALSE;
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59 || d < 1) return PETSC_FALSE;
  leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[mo - 1] + (mo == 2 && leap) ? PETSC_TRUE : PETSC_FALSE;
}

/* 1-based line and column (in characters, a UTF-8 sequence counting once) of a byte offset. */
static void LineColumn(const char *s, size_t offset, size_t *line, size_t *col)
{
  size_t i;

  *line = 1;
  *col  = 1;
  for (i = 0; i < offset; i++) {
    if (s[i] == '\n') {
      (*line)++;
      *col = 1;
    } else if (((unsigned char)s[i] & 0xC0) != 0x80) (*col)++;
  }
}

/* ------------------------------------------------------------------------------------------------
   Collecting the first error
   ------------------------------------------------------------------------------------------------ */
typedef struct {
  PetscBool failed;
  char      msg[SB_SCENARIO_MSG_LEN];
} SbCheck;

/* Record "<file>: <where>: <what>" ("<file>: <what>" when where is NULL) unless an error is
   recorded already. */
static PetscErrorCode Fail(SbCheck *ck, const char *file, const char *where, const char *fmt, ...) PETSC_ATTRIBUTE_FORMAT(4, 5);
static PetscErrorCode Fail(SbCheck *ck, const char *file, const char *where, const char *fmt, ...)
{
  va_list ap;
  int     len;

  PetscFunctionBeginUser;
  if (ck->failed) PetscFunctionReturn(PETSC_SUCCESS);
  ck->failed = PETSC_TRUE;
  len        = where ? snprintf(ck->msg, sizeof(ck->msg), "%s: %s: ", file, where) : snprintf(ck->msg, sizeof(ck->msg), "%s: ", file);
  if (len >= 0 && (size_t)len < sizeof(ck->msg)) {
    va_start(ap, fmt);
    vsnprintf(ck->msg + len, sizeof(ck->msg) - (size_t)len, fmt, ap);
    va_end(ap);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   Text to tree. A strict JSON scanner (RFC 8259) runs before cJSON: cJSON's error position is
   sometimes one character late and says nothing of what was expected, while the scanner names the
   exact place, what was expected there, and which bracket a truncated file leaves open. It also
   bounds the nesting depth before cJSON (whose own limit is 1000) recurses.
   ------------------------------------------------------------------------------------------------ */
typedef struct {
  const char *s;
  size_t      n;
  size_t      at;        /* where the error is */
  char        what[256]; /* "expected ..., got ..." */
} SbScan;

static PetscBool IsSpace(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' ? PETSC_TRUE : PETSC_FALSE;
}

/* The text at s[at] for "got ...": a word, a comment, one character, or the end of the file. */
static void DescribeText(const SbScan *x, size_t at, char *buf, size_t n)
{
  size_t w = 0;
  char   c;

  if (at >= x->n) {
    snprintf(buf, n, "the end of the file");
    return;
  }
  c = x->s[at];
  if (c == 0) snprintf(buf, n, "a NUL byte");
  else if ((unsigned char)c < 0x20) snprintf(buf, n, "a control character (U+%04X)", (unsigned)c);
  else if (c == '\'') snprintf(buf, n, "a single quote");
  else {
    if (c == '"') {
      for (w = 1; at + w < x->n && w < 24 && x->s[at + w] != '"' && x->s[at + w] != '\n'; w++) {}
      if (at + w < x->n && x->s[at + w] == '"') w++;
    } else if (c == '/') {
      while (at + w < x->n && w < 16 && x->s[at + w] != '\n' && x->s[at + w] != '\r') w++;
    } else {
      while (at + w < x->n && w < 16 && (isalnum((unsigned char)x->s[at + w]) || x->s[at + w] == '_' || x->s[at + w] == '.' || x->s[at + w] == '+' || x->s[at + w] == '-')) w++;
    }
    if (!w) w = 1;
    snprintf(buf, n, "'%.*s'", (int)w, x->s + at);
  }
}

static PetscBool ScanFail(SbScan *x, size_t at, const char *expected)
{
  char        got[64];
  const char *hint = "";
  size_t      b;

  DescribeText(x, at, got, sizeof(got));
  for (b = at; b > 0 && IsSpace(x->s[b - 1]); b--) {}
  if (at < x->n && x->s[at] == '/') hint = " (JSON has no comments; write \"//\": \"...\" keys instead)";
  else if (at < x->n && x->s[at] == '\'') hint = " (JSON strings take double quotes)";
  else if (at < x->n && (x->s[at] == '}' || x->s[at] == ']') && b > 0 && x->s[b - 1] == ',') hint = " (a comma before a closing bracket)";
  else if (at > 0 && x->s[at - 1] == '\\') hint = " (write a backslash in a string as \\\\, or use / in paths)";
  x->at = at;
  snprintf(x->what, sizeof(x->what), "JSON syntax error: expected %s, got %s%s", expected, got, hint);
  return PETSC_FALSE;
}

static void ScanSpace(SbScan *x, size_t *i)
{
  while (*i < x->n && IsSpace(x->s[*i])) (*i)++;
}

static PetscBool ScanString(SbScan *x, size_t *i, const char *expected)
{
  size_t from = *i, line, col;

  if (*i >= x->n || x->s[*i] != '"') return ScanFail(x, *i, expected);
  for ((*i)++; *i < x->n && x->s[*i] != '"'; (*i)++) {
    unsigned char c = (unsigned char)x->s[*i];

    if (c < 0x20) return ScanFail(x, *i, "a character or an escape such as \\n");
    if (c == '\\') {
      int k;

      (*i)++;
      if (*i < x->n && x->s[*i] == 'u') {
        for (k = 1; k <= 4; k++)
          if (*i + k >= x->n || !isxdigit((unsigned char)x->s[*i + k])) return ScanFail(x, *i + k, "four hexadecimal digits after \\u");
        *i += 4;
      } else if (*i >= x->n || !x->s[*i] || !strchr("\"\\/bfnrt", x->s[*i])) return ScanFail(x, *i, "an escape character after '\\'");
    }
  }
  if (*i >= x->n) {
    LineColumn(x->s, from, &line, &col);
    x->at = x->n;
    snprintf(x->what, sizeof(x->what), "expected '\"' to close the string from line %zu, column %zu, got the end of the file", line, col);
    return PETSC_FALSE;
  }
  (*i)++;
  return PETSC_TRUE;
}

static PetscBool ScanDigits(SbScan *x, size_t *i)
{
  size_t from = *i;

  while (*i < x->n && isdigit((unsigned char)x->s[*i])) (*i)++;
  return *i > from ? PETSC_TRUE : ScanFail(x, *i, "a digit");
}

static PetscBool ScanNumber(SbScan *x, size_t *i)
{
  if (x->s[*i] == '-') (*i)++;
  if (*i < x->n && x->s[*i] == '0') (*i)++;
  else if (!ScanDigits(x, i)) return PETSC_FALSE;
  if (*i < x->n && x->s[*i] == '.') {
    (*i)++;
    if (!ScanDigits(x, i)) return PETSC_FALSE;
  }
  if (*i < x->n && (x->s[*i] == 'e' || x->s[*i] == 'E')) {
    (*i)++;
    if (*i < x->n && (x->s[*i] == '+' || x->s[*i] == '-')) (*i)++;
    if (!ScanDigits(x, i)) return PETSC_FALSE;
  }
  return PETSC_TRUE;
}

/* "expected '}' to close the '{' from line 1, column 1, got the end of the file" */
static PetscBool ScanUnclosed(SbScan *x, size_t open)
{
  size_t line, col;

  LineColumn(x->s, open, &line, &col);
  x->at = x->n;
  snprintf(x->what, sizeof(x->what), "expected '%c' to close the '%c' from line %zu, column %zu, got the end of the file", x->s[open] == '{' ? '}' : ']', x->s[open], line, col);
  return PETSC_FALSE;
}

static PetscBool ScanValue(SbScan *x, size_t *i, int depth)
{
  static const char *const words[] = {"true", "false", "null"};
  size_t                   open;
  int                      k;
  char                     c;

  ScanSpace(x, i);
  open = *i;
  if (*i >= x->n) return ScanFail(x, *i, "a value");
  c = x->s[*i];
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';

    if (depth == SB_SCENARIO_MAX_DEPTH) {
      x->at = *i;
      snprintf(x->what, sizeof(x->what), "expected objects and arrays nested at most %d deep, got deeper", SB_SCENARIO_MAX_DEPTH);
      return PETSC_FALSE;
    }
    (*i)++;
    ScanSpace(x, i);
    if (*i < x->n && x->s[*i] == close) {
      (*i)++;
      return PETSC_TRUE;
    }
    for (;;) {
      if (c == '{') {
        if (*i >= x->n) return ScanUnclosed(x, open);
        if (!ScanString(x, i, "a key in double quotes")) return PETSC_FALSE;
        ScanSpace(x, i);
        if (*i >= x->n) return ScanUnclosed(x, open);
        if (x->s[*i] != ':') return ScanFail(x, *i, "':'");
        (*i)++;
      }
      ScanSpace(x, i);
      if (*i >= x->n) return ScanUnclosed(x, open);
      if (!ScanValue(x, i, depth + 1)) return PETSC_FALSE;
      ScanSpace(x, i);
      if (*i >= x->n) return ScanUnclosed(x, open);
      if (x->s[*i] == close) {
        (*i)++;
        return PETSC_TRUE;
      }
      if (x->s[*i] != ',') return ScanFail(x, *i, c == '{' ? "',' or '}'" : "',' or ']'");
      (*i)++;
      ScanSpace(x, i);
    }
  }
  if (c == '"') return ScanString(x, i, "a value");
  if (c == '-' || isdigit((unsigned char)c)) return ScanNumber(x, i);
  for (k = 0; k < 3; k++) {
    size_t w = strlen(words[k]);

    if (*i + w <= x->n && !strncmp(x->s + *i, words[k], w) && !(*i + w < x->n && isalnum((unsigned char)x->s[*i + w]))) {
      *i += w;
      return PETSC_TRUE;
    }
  }
  return ScanFail(x, *i, "a value");
}

/* Parse the bytes of one file (NUL-terminated, len bytes before the NUL) into an object tree. */
static PetscErrorCode ParseText(SbCheck *ck, const char *file, const char *bytes, size_t len, cJSON **tree)
{
  SbScan      x;
  size_t      i = 0, line, col;
  const char *end = NULL;
  char        where[64], got[64];
  cJSON      *root;

  PetscFunctionBeginUser;
  *tree = NULL;
  x.s   = bytes;
  x.n   = len;
  /* A UTF-8 byte-order mark (Windows editors write one) is skipped; UTF-16 and UTF-32 are refused. */
  if (x.n >= 3 && !memcmp(x.s, "\xEF\xBB\xBF", 3)) {
    x.s += 3;
    x.n -= 3;
  } else if (x.n >= 2 && (!memcmp(x.s, "\xFF\xFE", 2) || !memcmp(x.s, "\xFE\xFF", 2))) {
    PetscCall(Fail(ck, file, "line 1, column 1", "expected UTF-8 text, got a UTF-16 or UTF-32 byte-order mark"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  ScanSpace(&x, &i);
  if (i == x.n) {
    PetscCall(Fail(ck, file, "(root)", "expected a JSON object, got an empty file"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  x.what[0] = 0;
  if (ScanValue(&x, &i, 0)) {
    ScanSpace(&x, &i);
    if (i < x.n) (void)ScanFail(&x, i, "the end of the file after the top-level value");
  }
  if (x.what[0]) {
    LineColumn(x.s, x.at, &line, &col);
    snprintf(where, sizeof(where), "line %zu, column %zu", line, col);
    PetscCall(Fail(ck, file, where, "%s", x.what));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  /* the length given includes the terminating NUL: cJSON looks for it to refuse trailing text */
  root = cJSON_ParseWithLengthOpts(x.s, x.n + 1, &end, 1);
  if (!root) {
    /* valid JSON that cJSON still refuses (e.g. a number of over 63 characters) */
    size_t at = end && end >= x.s && end <= x.s + x.n ? (size_t)(end - x.s) : 0;

    LineColumn(x.s, at, &line, &col);
    DescribeText(&x, at, got, sizeof(got));
    snprintf(where, sizeof(where), "line %zu, column %zu", line, col);
    PetscCall(Fail(ck, file, where, "expected JSON that cJSON can parse, got %s", got));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!cJSON_IsObject(root)) {
    Describe(root, got, sizeof(got));
    PetscCall(Fail(ck, file, "(root)", "expected an object, got %s", got));
    cJSON_Delete(root);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  *tree = root;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   Checking one file against the schema
   ------------------------------------------------------------------------------------------------ */
static PetscErrorCode CheckObject(SbCheck *, const char *, const cJSON *, const char *, const char *);

static PetscErrorCode CheckValue(SbCheck *ck, const char *file, const SbKey *k, const cJSON *v, const char *jpath)
{
  char expected[256], got[128];

  PetscFunctionBeginUser;
  FormatExpected(k, PETSC_FALSE, expected, sizeof(expected));
  Describe(v, got, sizeof(got));
  switch (k->type) {
  case SB_KEY_OBJECT:
    if (!cJSON_IsObject(v)) PetscCall(Fail(ck, file, jpath, "expected %s, got %s", expected, got));
    else PetscCall(CheckObject(ck, file, v, k->key, jpath));
    break;
  case SB_KEY_STRING:
  case SB_KEY_PATH:
    if (!cJSON_IsString(v) || strlen(v->valuestring) < (size_t)k->lo || strlen(v->valuestring) > StringMax(k)) PetscCall(Fail(ck, file, jpath, "expected %s, got %s", expected, got));
    break;
  case SB_KEY_DATETIME:
    if (!cJSON_IsString(v) || !IsDateTime(v->valuestring)) PetscCall(Fail(ck, file, jpath, "expected %s, got %s", expected, got));
    break;
  case SB_KEY_NUMBER:
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || !InRange(k, v->valuedouble)) PetscCall(Fail(ck, file, jpath, "expected %s, got %s", expected, got));
    break;
  case SB_KEY_INTEGER:
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > PETSC_MAX_INT || !InRange(k, v->valuedouble)) PetscCall(Fail(ck, file, jpath, "expected %s, got %s", expected, got));
    break;
  case SB_KEY_BOOL:
    if (!cJSON_IsBool(v)) PetscCall(Fail(ck, file, jpath, "expected %s, got %s", expected, got));
    break;
  case SB_KEY_JSON: /* its members are checked by the module that reads it */
    if (!(strcmp(k->values, "array") ? cJSON_IsObject(v) : cJSON_IsArray(v))) PetscCall(Fail(ck, file, jpath, "expected %s, got %s", expected, got));
    break;
  case SB_KEY_ENUM: {
    PetscBool   found = PETSC_FALSE;
    const char *s;

    for (s = k->values; cJSON_IsString(v) && *s && !found;) {
      size_t w = strcspn(s, "|");

      if (strlen(v->valuestring) == w && !strncmp(s, v->valuestring, w)) found = PETSC_TRUE;
      s += w + (s[w] == '|');
    }
    if (!found) PetscCall(Fail(ck, file, jpath, "expected %s, got %s", expected, got));
  } break;
  case SB_KEY_NUMBER_ARRAY: {
    const cJSON *e;
    int          i = 0;

    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < k->min_items) {
      PetscCall(Fail(ck, file, jpath, "expected %s, got %s", expected, got));
      break;
    }
    FormatExpected(k, PETSC_TRUE, expected, sizeof(expected));
    cJSON_ArrayForEach(e, v)
    {
      if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) || !InRange(k, e->valuedouble)) {
        char epath[SB_SCENARIO_JPATH_LEN + 16];

        snprintf(epath, sizeof(epath), "%s[%d]", jpath, i);
        Describe(e, got, sizeof(got));
        PetscCall(Fail(ck, file, epath, "expected %s, got %s", expected, got));
        break;
      }
      i++;
    }
  } break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Check every member of an object: comments, duplicates, unknown keys, then each value. skey is the
   schema path of the object ("" for the root), jpath its JSON path as shown in messages. */
static PetscErrorCode CheckObject(SbCheck *ck, const char *file, const cJSON *obj, const char *skey, const char *jpath)
{
  const cJSON *c, *p;

  PetscFunctionBeginUser;
  cJSON_ArrayForEach(c, obj)
  {
    char         cpath[SB_SCENARIO_JPATH_LEN], ckey[SB_SCENARIO_KEY_LEN], got[128];
    const SbKey *k = NULL;
    int          len;

    JoinPath(jpath, c->string, cpath, sizeof(cpath));
    if (IsComment(c->string)) {
      if (!cJSON_IsString(c)) {
        Describe(c, got, sizeof(got));
        PetscCall(Fail(ck, file, cpath, "expected a string (keys starting with \"%s\" are comments), got %s", SB_SCENARIO_COMMENT, got));
      }
      if (ck->failed) break;
      continue;
    }
    for (p = obj->child; p != c; p = p->next)
      if (!strcmp(p->string, c->string)) break;
    if (p != c) {
      PetscCall(Fail(ck, file, cpath, "duplicate key, expected each key once in an object"));
      break;
    }
    len = skey[0] ? snprintf(ckey, sizeof(ckey), "%s.%s", skey, c->string) : snprintf(ckey, sizeof(ckey), "%s", c->string);
    if (len >= 0 && (size_t)len < sizeof(ckey)) k = FindKey(ckey);
    if (k && strchr(c->string, '.')) {
      /* {"time.duration_h": 24} names a key that lives in a nested object */
      PetscCall(Fail(ck, file, cpath, "unknown key, expected nested objects for \"%s\" ({\"%.*s\": {...}})", ckey, (int)strcspn(c->string, "."), c->string));
      break;
    }
    if (!k) {
      const SbKey *s = Suggest(skey, c->string);

      if (s) PetscCall(Fail(ck, file, cpath, "unknown key (did you mean \"%s\"?)", Leaf(s->key)));
      else {
        char     known[512];
        size_t   kl = 0;
        PetscInt i;

        known[0] = 0;
        for (i = 0; i < SB_NKEYS && kl < sizeof(known); i++)
          if (IsChildOf(&SbKeys[i], skey)) kl += (size_t)snprintf(known + kl, sizeof(known) - kl, "%s\"%s\"", kl ? ", " : "", Leaf(SbKeys[i].key));
        PetscCall(Fail(ck, file, cpath, "unknown key, expected one of %s", known));
      }
      break;
    }
    PetscCall(CheckValue(ck, file, k, c, cpath));
    if (ck->failed) break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Remove comments and resolve relative paths against dir (the directory of the file, "" for the
   working directory), so that the tree no longer depends on where its file lies. */
static PetscErrorCode Normalize(SbCheck *ck, const char *file, cJSON *obj, const char *skey, const char *jpath, const char *dir)
{
  cJSON *c, *next;

  PetscFunctionBeginUser;
  for (c = obj->child; c && !ck->failed; c = next) {
    char         ckey[SB_SCENARIO_KEY_LEN], cpath[SB_SCENARIO_JPATH_LEN];
    const SbKey *k;

    next = c->next;
    if (IsComment(c->string)) {
      cJSON_Delete(cJSON_DetachItemViaPointer(obj, c));
      continue;
    }
    if (skey[0]) snprintf(ckey, sizeof(ckey), "%s.%s", skey, c->string);
    else snprintf(ckey, sizeof(ckey), "%s", c->string);
    JoinPath(jpath, c->string, cpath, sizeof(cpath));
    k = FindKey(ckey);
    if (k && k->type == SB_KEY_OBJECT) PetscCall(Normalize(ck, file, c, ckey, cpath, dir));
    else if (k && k->type == SB_KEY_PATH && dir[0] && c->valuestring[0] != '/') {
      char   resolved[PETSC_MAX_PATH_LEN];
      int    len = snprintf(resolved, sizeof(resolved), "%s/%s", dir, c->valuestring);
      cJSON *s;

      if (len < 0 || (size_t)len > StringMax(k)) {
        PetscCall(Fail(ck, file, cpath, "expected a file path of at most %zu characters once joined to \"%s\", got %d", StringMax(k), dir, len));
        break;
      }
      s = cJSON_CreateString(resolved);
      PetscCheck(s, PETSC_COMM_SELF, PETSC_ERR_MEM, "cJSON could not allocate a string");
      PetscCheck(cJSON_ReplaceItemInObjectCaseSensitive(obj, c->string, s), PETSC_COMM_SELF, PETSC_ERR_LIB, "cJSON could not replace an item");
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   Reading files: rank 0 reads, everybody receives the bytes or the reason they could not be read
   ------------------------------------------------------------------------------------------------ */

/* On rank 0: the bytes of a regular file (PetscMalloc'd, NUL-terminated), or the reason it could
   not be read. real is the canonical path, to recognise a file met twice in an extends chain. */
static PetscErrorCode ReadOnRoot(const char *path, char **bytes, size_t *len, char *real, char *reason, size_t nreason)
{
  struct stat st;
  FILE       *fp;
  size_t      got;

  PetscFunctionBeginUser;
  *bytes    = NULL;
  *len      = 0;
  reason[0] = 0;
  if (stat(path, &st)) {
    snprintf(reason, nreason, "%s", strerror(errno));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (S_ISDIR(st.st_mode)) {
    snprintf(reason, nreason, "%s", strerror(EISDIR));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(reason, nreason, "not a regular file");
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (st.st_size > SB_SCENARIO_MAX_BYTES) {
    snprintf(reason, nreason, "expected at most %d bytes (16 MiB), got %lld", SB_SCENARIO_MAX_BYTES, (long long)st.st_size);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!realpath(path, real)) snprintf(real, PETSC_MAX_PATH_LEN, "%s", path);
  fp = fopen(path, "rb");
  if (!fp) {
    snprintf(reason, nreason, "%s", strerror(errno));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscMalloc1((size_t)st.st_size + 1, bytes));
  got = fread(*bytes, 1, (size_t)st.st_size, fp);
  if (ferror(fp)) snprintf(reason, nreason, "%s", strerror(errno));
  else if (got != (size_t)st.st_size) snprintf(reason, nreason, "the file changed while being read");
  fclose(fp);
  if (reason[0]) PetscCall(PetscFree(*bytes));
  else {
    (*bytes)[got] = 0;
    *len          = got;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: every rank gets the bytes of path, or reason[0] != 0. */
static PetscErrorCode ReadBytes(MPI_Comm comm, const char *path, char **bytes, size_t *len, char *real, char *reason, size_t nreason)
{
  PetscMPIInt rank;
  int         head[2] = {0, 0}; /* failed, length */

  PetscFunctionBeginUser;
  *bytes = NULL;
  *len   = 0;
  real[0] = 0;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    PetscCall(ReadOnRoot(path, bytes, len, real, reason, nreason));
    head[0] = reason[0] ? 1 : 0;
    head[1] = (int)*len;
  }
  PetscCallMPI(MPI_Bcast(head, 2, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(real, PETSC_MAX_PATH_LEN, MPI_CHAR, 0, comm));
  if (head[0]) {
    PetscCallMPI(MPI_Bcast(reason, (PetscMPIInt)nreason, MPI_CHAR, 0, comm));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  reason[0] = 0;
  *len      = (size_t)head[1];
  if (rank != 0) PetscCall(PetscMalloc1(*len + 1, bytes));
  PetscCallMPI(MPI_Bcast(*bytes, head[1] + 1, MPI_CHAR, 0, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbScenarioReadFile(MPI_Comm comm, const char *path, char **bytes, size_t *len, char *reason, size_t nreason)
{
  char real[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(ReadBytes(comm, path, bytes, len, real, reason, nreason));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   The extends chain
   ------------------------------------------------------------------------------------------------ */
typedef struct {
  MPI_Comm comm;
  SbCheck  ck;
  PetscInt n;                                                  /* files in the chain, the scenario first */
  char     file[SB_SCENARIO_MAX_EXTENDS + 1][PETSC_MAX_PATH_LEN]; /* as shown in messages */
  char     real[SB_SCENARIO_MAX_EXTENDS + 1][PETSC_MAX_PATH_LEN]; /* canonical */
  cJSON   *tree[SB_SCENARIO_MAX_EXTENDS + 1];                   /* each file checked and normalized on its own */
} SbLoader;

/* Append text to the NUL-terminated buf of size n, cutting it short if need be. */
static void Append(char *buf, size_t n, const char *text)
{
  size_t len = strlen(buf), w = strlen(text);

  if (len + 1 >= n) return;
  if (w > n - len - 1) w = n - len - 1;
  memcpy(buf + len, text, w);
  buf[len + w] = 0;
}

/* "a.json -> b.json -> last" */
static void FormatChain(const SbLoader *ld, const char *last, char *buf, size_t n)
{
  PetscInt i;

  buf[0] = 0;
  for (i = 0; i < ld->n; i++) {
    Append(buf, n, ld->file[i]);
    Append(buf, n, " -> ");
  }
  Append(buf, n, last);
}

/* The directory part of a path, "" when it has none. */
static void DirName(const char *path, char *dir, size_t n)
{
  const char *slash = strrchr(path, '/');

  if (!slash) snprintf(dir, n, "%s", "");
  else if (slash == path) snprintf(dir, n, "%s", "/");
  else snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

static PetscErrorCode LoadChain(SbLoader *ld, const char *path)
{
  char next[PETSC_MAX_PATH_LEN], real[PETSC_MAX_PATH_LEN], reason[256], chain[SB_SCENARIO_MSG_LEN], dir[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(next, path, sizeof(next)));
  while (!ld->ck.failed) {
    const PetscInt i = ld->n;
    char          *bytes;
    size_t         len;
    PetscInt       j;
    cJSON         *ext;

    PetscCall(ReadBytes(ld->comm, next, &bytes, &len, real, reason, sizeof(reason)));
    if (reason[0]) {
      if (i == 0) PetscCall(Fail(&ld->ck, next, NULL, "cannot read file: %s", reason));
      else PetscCall(Fail(&ld->ck, ld->file[i - 1], "extends", "cannot read file \"%s\": %s", next, reason));
      break;
    }
    for (j = 0; j < i; j++)
      if (!strcmp(real, ld->real[j])) break;
    if (j < i) {
      FormatChain(ld, next, chain, sizeof(chain));
      PetscCall(Fail(&ld->ck, ld->file[i - 1], "extends", "expected a file not already in the chain, got a cycle: %s", chain));
      PetscCall(PetscFree(bytes));
      break;
    }
    PetscCall(PetscStrncpy(ld->file[i], next, sizeof(ld->file[i])));
    PetscCall(PetscStrncpy(ld->real[i], real, sizeof(ld->real[i])));
    ld->n++;
    PetscCall(ParseText(&ld->ck, ld->file[i], bytes, len, &ld->tree[i]));
    PetscCall(PetscFree(bytes));
    if (ld->ck.failed) break;
    PetscCall(CheckObject(&ld->ck, ld->file[i], ld->tree[i], "", ""));
    if (ld->ck.failed) break;
    DirName(ld->file[i], dir, sizeof(dir));
    PetscCall(Normalize(&ld->ck, ld->file[i], ld->tree[i], "", "", dir));
    ext = cJSON_GetObjectItemCaseSensitive(ld->tree[i], "extends");
    if (ld->ck.failed || !ext) break;
    PetscCall(PetscStrncpy(next, ext->valuestring, sizeof(next)));
    cJSON_DeleteItemFromObjectCaseSensitive(ld->tree[i], "extends");
    if (ld->n == SB_SCENARIO_MAX_EXTENDS + 1) {
      FormatChain(ld, next, chain, sizeof(chain));
      PetscCall(Fail(&ld->ck, ld->file[i], "extends", "expected at most %d files extended, got more: %s", SB_SCENARIO_MAX_EXTENDS, chain));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Deep merge: objects key by key, everything else (arrays too) replaced whole. */
static PetscErrorCode MergeInto(cJSON *dst, const cJSON *src)
{
  const cJSON *s;

  PetscFunctionBeginUser;
  cJSON_ArrayForEach(s, src)
  {
    cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, s->string);

    if (d && cJSON_IsObject(d) && cJSON_IsObject(s)) PetscCall(MergeInto(d, s));
    else {
      cJSON *copy = cJSON_Duplicate(s, 1);

      PetscCheck(copy, PETSC_COMM_SELF, PETSC_ERR_MEM, "cJSON could not copy a value");
      if (d) PetscCheck(cJSON_ReplaceItemViaPointer(dst, d, copy), PETSC_COMM_SELF, PETSC_ERR_LIB, "cJSON could not replace an item");
      else PetscCheck(cJSON_AddItemToObject(dst, s->string, copy), PETSC_COMM_SELF, PETSC_ERR_LIB, "cJSON could not add an item");
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Whether a and b are exclusive keys (SB_KEY_ONE_OF) of the same object. */
static PetscBool OneOfSiblings(const SbKey *a, const SbKey *b)
{
  const size_t n = ParentLength(a->key);

  return ((a->flags & b->flags & SB_KEY_ONE_OF) && ParentLength(b->key) == n && !strncmp(a->key, b->key, n)) ? PETSC_TRUE : PETSC_FALSE;
}

/* Exclusive keys: where the file src sets one, the others of its object inherited so far leave
   merged, so that a file can choose another of them than the file it extends. */
static PetscErrorCode DropOneOf(cJSON *merged, const cJSON *src)
{
  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < SB_NKEYS; j++) {
    char   parent[SB_SCENARIO_KEY_LEN];
    cJSON *p;

    if (!(SbKeys[j].flags & SB_KEY_ONE_OF) || !FindNode(src, SbKeys[j].key)) continue;
    snprintf(parent, sizeof(parent), "%.*s", (int)ParentLength(SbKeys[j].key), SbKeys[j].key);
    if (!cJSON_IsObject(p = FindNode(merged, parent))) continue;
    for (PetscInt i = 0; i < SB_NKEYS; i++)
      if (i != j && OneOfSiblings(&SbKeys[i], &SbKeys[j])) cJSON_DeleteItemFromObjectCaseSensitive(p, Leaf(SbKeys[i].key));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode MergeChain(SbLoader *ld, cJSON **merged)
{
  PetscInt i, j;

  PetscFunctionBeginUser;
  *merged = cJSON_Duplicate(ld->tree[ld->n - 1], 1);
  PetscCheck(*merged, PETSC_COMM_SELF, PETSC_ERR_MEM, "cJSON could not copy a scenario");
  for (i = ld->n - 2; i >= 0; i--) {
    for (j = 0; j < SB_NKEYS; j++) {
      if (SbKeys[j].flags & SB_KEY_NOT_INHERITED) {
        char   parent[SB_SCENARIO_KEY_LEN];
        cJSON *p;

        snprintf(parent, sizeof(parent), "%.*s", (int)ParentLength(SbKeys[j].key), SbKeys[j].key);
        p = FindNode(*merged, parent);
        if (cJSON_IsObject(p)) cJSON_DeleteItemFromObjectCaseSensitive(p, Leaf(SbKeys[j].key));
      }
    }
    PetscCall(DropOneOf(*merged, ld->tree[i]));
    PetscCall(MergeInto(*merged, ld->tree[i]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The file that set a key of the merged scenario: the first in the chain that has it. */
static const char *Origin(const SbLoader *ld, const char *key)
{
  PetscInt i;

  for (i = 0; i < ld->n; i++)
    if (FindNode(ld->tree[i], key)) return ld->file[i];
  return ld->file[0];
}

/* ------------------------------------------------------------------------------------------------
   Checks of the merged scenario: required keys, then rules that tie keys together
   ------------------------------------------------------------------------------------------------ */
static PetscErrorCode CheckRequired(SbLoader *ld, const cJSON *merged)
{
  PetscInt i;

  PetscFunctionBeginUser;
  for (i = 0; i < SB_NKEYS && !ld->ck.failed; i++) {
    const SbKey *k = &SbKeys[i];
    char         parent[SB_SCENARIO_KEY_LEN], expected[256];

    if (!(k->flags & SB_KEY_REQUIRED)) continue;
    snprintf(parent, sizeof(parent), "%.*s", (int)ParentLength(k->key), k->key);
    if (!FindNode(merged, parent) || FindNode(merged, k->key)) continue;
    FormatExpected(k, PETSC_FALSE, expected, sizeof(expected));
    PetscCall(Fail(&ld->ck, ld->file[0], k->key, "missing required key, expected %s", expected));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A required key of one choice ("for type gauges") that the schema cannot require by itself. */
static PetscErrorCode Need(SbLoader *ld, const cJSON *merged, const char *key, const char *why)
{
  char expected[256];

  PetscFunctionBeginUser;
  if (ld->ck.failed || FindNode(merged, key)) PetscFunctionReturn(PETSC_SUCCESS);
  FormatExpected(FindKey(key), PETSC_FALSE, expected, sizeof(expected));
  PetscCall(Fail(&ld->ck, ld->file[0], key, "missing required key %s, expected %s", why, expected));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Exactly n values (the schema checks the least number). */
static PetscErrorCode NeedCount(SbLoader *ld, const cJSON *merged, const char *key, int n, const char *what)
{
  const cJSON *v = FindNode(merged, key);

  PetscFunctionBeginUser;
  if (!ld->ck.failed && v && cJSON_GetArraySize(v) != n) PetscCall(Fail(&ld->ck, Origin(ld, key), key, "expected %d values (%s), got %d", n, what, cJSON_GetArraySize(v)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Forcing: the keys each rain type needs; rain steps (one intensity per start time and gauge, the
   first start at 0, starts strictly increasing); design storms of whole steps; twelve monthly
   values; PET inputs. Keys a type does not use are ignored (a file may extend one of another type).
   CSV files are checked when the forcing is set up (engine/forcing.c). */
static PetscErrorCode CheckRain(SbLoader *ld, const cJSON *merged)
{
  const char  *tkey = "forcing.rain.time_h", *ikey = "forcing.rain.intensity_mm_h";
  const cJSON *t = FindNode(merged, tkey), *r = FindNode(merged, ikey), *type = FindNode(merged, "forcing.rain.type");
  const char  *ty = type ? type->valuestring : "uniform";
  int          nt = cJSON_GetArraySize(t), nr = cJSON_GetArraySize(r), ng = 1, i;
  char         where[SB_SCENARIO_JPATH_LEN], prev[32], got[32], why[64];

  PetscFunctionBeginUser;
  snprintf(why, sizeof(why), "for type %s", ty);
  if (!strcmp(ty, "gauges")) {
    PetscCall(Need(ld, merged, "forcing.rain.gauges", why));
    if (ld->ck.failed) PetscFunctionReturn(PETSC_SUCCESS);
    ng = cJSON_GetArraySize(FindNode(merged, "forcing.rain.gauges.x"));
    PetscCall(NeedCount(ld, merged, "forcing.rain.gauges.y", ng, "one per forcing.rain.gauges.x"));
  } else if (!strcmp(ty, "chicago") || !strcmp(ty, "alternating-block")) {
    const cJSON *d = FindNode(merged, "forcing.rain.storm.duration_h"), *s = FindNode(merged, "forcing.rain.storm.step_min");

    PetscCall(Need(ld, merged, "forcing.rain.storm", why));
    if (!ld->ck.failed && d) {
      const double steps = d->valuedouble * 60 / (s ? s->valuedouble : 5);

      FormatNumber(d->valuedouble, got, sizeof(got));
      if (fabs(steps - round(steps)) > 1e-9 * steps) PetscCall(Fail(&ld->ck, Origin(ld, "forcing.rain.storm.duration_h"), "forcing.rain.storm.duration_h", "expected a whole number of steps of step_min, got %s h", got));
    }
    PetscFunctionReturn(PETSC_SUCCESS);
  } else if (!strcmp(ty, "generator")) {
    static const char *const months[] = {"p_wd", "p_ww", "mean_mm", "gamma_shape"};

    PetscCall(Need(ld, merged, "forcing.rain.generator", why));
    for (i = 0; i < 4; i++) {
      snprintf(where, sizeof(where), "forcing.rain.generator.%s", months[i]);
      PetscCall(NeedCount(ld, merged, where, 12, "January to December"));
    }
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (ld->ck.failed || FindNode(merged, "forcing.rain.csv")) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(Need(ld, merged, tkey, "unless forcing.rain.csv is given"));
  PetscCall(Need(ld, merged, ikey, "unless forcing.rain.csv is given"));
  if (ld->ck.failed) PetscFunctionReturn(PETSC_SUCCESS);
  if (nr != nt * ng) {
    if (ng == 1) PetscCall(Fail(&ld->ck, Origin(ld, ikey), ikey, "expected %d values, one per %s, got %d", nt, tkey, nr));
    else PetscCall(Fail(&ld->ck, Origin(ld, ikey), ikey, "expected %d values, one per gauge (%d) for each %s (%d), got %d", nt * ng, ng, tkey, nt, nr));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (i = 0; i < nt; i++) {
    double x = cJSON_GetArrayItem(t, i)->valuedouble;

    snprintf(where, sizeof(where), "%s[%d]", tkey, i);
    FormatNumber(x, got, sizeof(got));
    if (i == 0 && x != 0) {
      PetscCall(Fail(&ld->ck, Origin(ld, tkey), where, "expected 0 (the first rain step starts with the scenario), got %s", got));
      break;
    }
    if (i > 0 && !(x > cJSON_GetArrayItem(t, i - 1)->valuedouble)) {
      FormatNumber(cJSON_GetArrayItem(t, i - 1)->valuedouble, prev, sizeof(prev));
      PetscCall(Fail(&ld->ck, Origin(ld, tkey), where, "expected a number > %s (times strictly increasing), got %s", prev, got));
      break;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* forcing.pet: the inputs of its method, twelve monthly values, tmax_c >= tmin_c. */
static PetscErrorCode CheckPet(SbLoader *ld, const cJSON *merged)
{
  const cJSON *m = FindNode(merged, "forcing.pet.method"), *lo = FindNode(merged, "forcing.pet.tmin_c"), *hi = FindNode(merged, "forcing.pet.tmax_c");
  int          i;

  PetscFunctionBeginUser;
  if (!FindNode(merged, "forcing.pet")) PetscFunctionReturn(PETSC_SUCCESS);
  if (m && !strcmp(m->valuestring, "monthly")) {
    PetscCall(Need(ld, merged, "forcing.pet.monthly_mm_d", "for method monthly"));
    PetscCall(NeedCount(ld, merged, "forcing.pet.monthly_mm_d", 12, "January to December"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (FindNode(merged, "forcing.pet.csv")) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(Need(ld, merged, "forcing.pet.tmin_c", "for method hargreaves unless forcing.pet.csv is given"));
  PetscCall(Need(ld, merged, "forcing.pet.tmax_c", "for method hargreaves unless forcing.pet.csv is given"));
  PetscCall(NeedCount(ld, merged, "forcing.pet.tmin_c", 12, "January to December"));
  PetscCall(NeedCount(ld, merged, "forcing.pet.tmax_c", 12, "January to December"));
  for (i = 0; i < 12 && !ld->ck.failed; i++) {
    const double a = cJSON_GetArrayItem(lo, i)->valuedouble, b = cJSON_GetArrayItem(hi, i)->valuedouble;
    char         where[64], ga[32], gb[32];

    if (b >= a) continue;
    snprintf(where, sizeof(where), "forcing.pet.tmax_c[%d]", i);
    FormatNumber(a, ga, sizeof(ga));
    FormatNumber(b, gb, sizeof(gb));
    PetscCall(Fail(&ld->ck, Origin(ld, "forcing.pet.tmax_c"), where, "expected a number >= tmin_c[%d] = %s, got %s", i, ga, gb));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Monthly potential evapotranspiration: one value per month. */
static PetscErrorCode CheckMonthlyPet(SbLoader *ld, const cJSON *merged)
{
  const char  *key = "evapotranspiration.monthly_mm_d";
  const cJSON *m   = FindNode(merged, key);

  PetscFunctionBeginUser;
  if (m && cJSON_GetArraySize(m) != 12) PetscCall(Fail(&ld->ck, Origin(ld, key), key, "expected 12 values (January to December), got %d", cJSON_GetArraySize(m)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Exclusive keys (SB_KEY_ONE_OF) left together after merging: set by one file. The error names
   the file that set the second of them and lists the choice. */
static PetscErrorCode CheckOneOf(SbLoader *ld, const cJSON *merged)
{
  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < SB_NKEYS && !ld->ck.failed; j++) {
    const char *first = NULL;
    char        choice[SB_SCENARIO_MSG_LEN / 2] = "";
    PetscInt    i;

    if (!(SbKeys[j].flags & SB_KEY_ONE_OF)) continue;
    for (i = 0; i < j; i++)
      if (OneOfSiblings(&SbKeys[i], &SbKeys[j])) break;
    if (i < j) continue; /* each object once, from its first exclusive key */
    for (i = j; i < SB_NKEYS; i++)
      if (OneOfSiblings(&SbKeys[i], &SbKeys[j])) {
        Append(choice, sizeof(choice), choice[0] ? ", " : "");
        Append(choice, sizeof(choice), Leaf(SbKeys[i].key));
      }
    for (i = j; i < SB_NKEYS && !ld->ck.failed; i++) {
      if (!OneOfSiblings(&SbKeys[i], &SbKeys[j]) || !FindNode(merged, SbKeys[i].key)) continue;
      if (!first) first = SbKeys[i].key;
      else PetscCall(Fail(&ld->ck, Origin(ld, SbKeys[i].key), SbKeys[i].key, "expected at most one of %s, got also %s", choice, Leaf(first)));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rules between keys, applied in order to the merged scenario after the required keys. */
static PetscErrorCode (*const SbRules[])(SbLoader *, const cJSON *) = {CheckRain, CheckPet, CheckMonthlyPet, CheckOneOf};

/* ------------------------------------------------------------------------------------------------
   Tree to SbScenario
   ------------------------------------------------------------------------------------------------ */
static PetscErrorCode Fill(const SbLoader *ld, const cJSON *merged, SbScenario *sc)
{
  PetscInt i;

  PetscFunctionBeginUser;
  for (i = 0; i < SB_NKEYS; i++) {
    const SbKey *k    = &SbKeys[i];
    const cJSON *v    = FindNode(merged, k->key);
    char        *base = (char *)sc;

    if (!k->field) continue;
    switch (k->type) {
    case SB_KEY_OBJECT: {
      /* an object's field records whether the object is present */
      PetscBool x = v ? PETSC_TRUE : PETSC_FALSE;

      PetscCheck(k->size == sizeof(x), PETSC_COMM_SELF, PETSC_ERR_PLIB, "object field of %s is not a PetscBool", k->key);
      memcpy(base + k->offset, &x, sizeof(x));
    } break;
    case SB_KEY_STRING:
    case SB_KEY_PATH:
    case SB_KEY_DATETIME:
      if (v) PetscCall(PetscStrncpy(base + k->offset, v->valuestring, k->size));
      else if (k->flags & SB_KEY_DEFAULT_STEM) {
        const char *slash = strrchr(ld->file[0], '/'), *stem = slash ? slash + 1 : ld->file[0];
        size_t      n     = strlen(stem);

        if (n > 5 && !strcmp(stem + n - 5, ".json")) n -= 5;
        if (n >= k->size) n = k->size - 1;
        memcpy(base + k->offset, stem, n);
        base[k->offset + n] = 0;
      } else PetscCall(PetscStrncpy(base + k->offset, k->def_text ? k->def_text : "", k->size));
      break;
    case SB_KEY_NUMBER: {
      PetscReal x = (PetscReal)((v ? v->valuedouble : k->def) * k->to_si);

      memcpy(base + k->offset, &x, sizeof(x));
    } break;
    case SB_KEY_INTEGER: {
      PetscInt x = (PetscInt)(v ? v->valuedouble : k->def);

      memcpy(base + k->offset, &x, sizeof(x));
    } break;
    case SB_KEY_BOOL: {
      PetscBool x = v ? (cJSON_IsTrue(v) ? PETSC_TRUE : PETSC_FALSE) : (k->def != 0 ? PETSC_TRUE : PETSC_FALSE);

      memcpy(base + k->offset, &x, sizeof(x));
    } break;
    case SB_KEY_ENUM: {
      const char *want = v ? v->valuestring : k->def_text, *s = k->values;
      int         index = 0;

      PetscCheck(k->size == sizeof(int), PETSC_COMM_SELF, PETSC_ERR_PLIB, "enum field of %s is not an int", k->key);
      while (*s) {
        size_t w = strcspn(s, "|");

        if (strlen(want) == w && !strncmp(s, want, w)) break;
        s += w + (s[w] == '|');
        index++;
      }
      memcpy(base + k->offset, &index, sizeof(index));
    } break;
    case SB_KEY_JSON: {
      char *text = NULL;

      if (v) {
        char *t = cJSON_PrintUnformatted(v);

        PetscCheck(t, PETSC_COMM_SELF, PETSC_ERR_MEM, "cJSON could not print %s", k->key);
        PetscCall(PetscStrallocpy(t, &text));
        cJSON_free(t);
        PetscCall(PetscStrncpy(base + k->count_offset, Origin(ld, k->key), PETSC_MAX_PATH_LEN));
      }
      memcpy(base + k->offset, &text, sizeof(text));
    } break;
    case SB_KEY_NUMBER_ARRAY: {
      PetscInt   n = v ? cJSON_GetArraySize(v) : 0, j = 0;
      PetscReal *a = NULL;
      cJSON     *e;

      PetscCall(PetscMalloc1(n, &a));
      cJSON_ArrayForEach(e, v) a[j++] = (PetscReal)(e->valuedouble * k->to_si);
      memcpy(base + k->offset, &a, sizeof(a));
      memcpy(base + k->count_offset, &n, sizeof(n));
    } break;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   Public functions
   ------------------------------------------------------------------------------------------------ */
PetscErrorCode SbScenarioLoad(MPI_Comm comm, const char *path, SbScenario **scenario)
{
  SbLoader  *ld;
  SbScenario *sc;
  cJSON     *merged = NULL;
  char       msg[SB_SCENARIO_MSG_LEN];
  PetscBool  failed;
  PetscInt   i;

  PetscFunctionBeginUser;
  *scenario = NULL;
  PetscCall(PetscNew(&ld));
  PetscCall(PetscNew(&sc));
  ld->comm = comm;
  PetscCall(PetscStrncpy(sc->path, path, sizeof(sc->path)));
  PetscCall(LoadChain(ld, path));
  if (!ld->ck.failed) PetscCall(MergeChain(ld, &merged));
  if (!ld->ck.failed) PetscCall(CheckRequired(ld, merged));
  for (i = 0; i < (PetscInt)(sizeof(SbRules) / sizeof(SbRules[0])) && !ld->ck.failed; i++) PetscCall(SbRules[i](ld, merged));
  if (!ld->ck.failed) {
    char *text;

    PetscCall(Fill(ld, merged, sc));
    text = cJSON_Print(merged);
    PetscCheck(text, PETSC_COMM_SELF, PETSC_ERR_MEM, "cJSON could not print the scenario");
    PetscCall(PetscStrallocpy(text, &sc->text));
    cJSON_free(text);
  }
  cJSON_Delete(merged);
  for (i = 0; i < ld->n; i++) cJSON_Delete(ld->tree[i]);
  failed = ld->ck.failed;
  PetscCall(PetscStrncpy(msg, ld->ck.msg, sizeof(msg)));
  PetscCall(PetscFree(ld));
  if (failed) PetscCall(SbScenarioDestroy(&sc));
  /* every rank has read the same bytes and so fails here with the same message */
  PetscCheck(!failed, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
  *scenario = sc;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbScenarioDestroy(SbScenario **scenario)
{
  PetscInt i;

  PetscFunctionBeginUser;
  if (!*scenario) PetscFunctionReturn(PETSC_SUCCESS);
  for (i = 0; i < SB_NKEYS; i++) {
    if (SbKeys[i].field && SbKeys[i].type == SB_KEY_JSON) {
      char *t;

      memcpy(&t, (char *)*scenario + SbKeys[i].offset, sizeof(t));
      PetscCall(PetscFree(t));
      memcpy((char *)*scenario + SbKeys[i].offset, &t, sizeof(t));
    }
    if (SbKeys[i].field && SbKeys[i].type == SB_KEY_NUMBER_ARRAY) {
      PetscReal *a;

      memcpy(&a, (char *)*scenario + SbKeys[i].offset, sizeof(a));
      PetscCall(PetscFree(a));
      memcpy((char *)*scenario + SbKeys[i].offset, &a, sizeof(a));
    }
  }
  PetscCall(PetscFree((*scenario)->text));
  PetscCall(PetscFree(*scenario));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbScenarioDefaults(char **json)
{
  cJSON *root = cJSON_CreateObject();
  char  *text;

  PetscFunctionBeginUser;
  PetscCheck(root, PETSC_COMM_SELF, PETSC_ERR_MEM, "scenario: out of memory");
  for (PetscInt i = 0; i < SB_NKEYS; i++) {
    const SbKey *k = &SbKeys[i];

    if (k->flags & (SB_KEY_REQUIRED | SB_KEY_NOT_INHERITED | SB_KEY_DEFAULT_STEM)) continue;
    if (k->type == SB_KEY_NUMBER || k->type == SB_KEY_INTEGER) (void)cJSON_AddNumberToObject(root, k->key, k->def);
    else if (k->type == SB_KEY_BOOL) (void)cJSON_AddBoolToObject(root, k->key, k->def != 0);
    else if ((k->type == SB_KEY_ENUM || k->type == SB_KEY_STRING) && k->def_text) (void)cJSON_AddStringToObject(root, k->key, k->def_text);
  }
  text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  PetscCheck(text, PETSC_COMM_SELF, PETSC_ERR_MEM, "scenario: cannot print the defaults");
  PetscCall(PetscStrallocpy(text, json));
  cJSON_free(text);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbScenarioPrintReference(FILE *fp)
{
  PetscInt i;

  PetscFunctionBeginUser;
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, fp, "| key | type | unit | default | range | meaning |\n"));
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, fp, "|---|---|---|---|---|---|\n"));
  for (i = 0; i < SB_NKEYS; i++) {
    const SbKey *k = &SbKeys[i];
    char         def[64], range[320], expected[256];

    if (k->flags & SB_KEY_REQUIRED) snprintf(def, sizeof(def), "required");
    else if (k->type == SB_KEY_OBJECT) snprintf(def, sizeof(def), "-");
    else if (k->flags & SB_KEY_DEFAULT_STEM) snprintf(def, sizeof(def), "%s", k->def_text);
    else if (k->type == SB_KEY_NUMBER || k->type == SB_KEY_INTEGER) FormatNumber(k->def, def, sizeof(def));
    else if (k->type == SB_KEY_BOOL) snprintf(def, sizeof(def), "%s", k->def != 0 ? "true" : "false");
    else if (k->def_text) snprintf(def, sizeof(def), "\"%s\"", k->def_text);
    else snprintf(def, sizeof(def), "none");
    switch (k->type) {
    case SB_KEY_OBJECT:
      snprintf(range, sizeof(range), "-");
      break;
    case SB_KEY_JSON:
      snprintf(range, sizeof(range), "see docs/measures.md");
      break;
    case SB_KEY_STRING:
    case SB_KEY_PATH:
      if (k->lo > 0) snprintf(range, sizeof(range), "%.0f to %zu characters", k->lo, StringMax(k));
      else snprintf(range, sizeof(range), "at most %zu characters", StringMax(k));
      break;
    case SB_KEY_DATETIME:
      snprintf(range, sizeof(range), "YYYY-MM-DDThh:mm:ss");
      break;
    case SB_KEY_NUMBER:
    case SB_KEY_INTEGER:
      FormatRange(k, range, sizeof(range));
      if (!range[0]) snprintf(range, sizeof(range), "any");
      break;
    case SB_KEY_BOOL:
      snprintf(range, sizeof(range), "true, false");
      break;
    case SB_KEY_ENUM:
      FormatExpected(k, PETSC_FALSE, expected, sizeof(expected));
      snprintf(range, sizeof(range), "%s", expected);
      break;
    case SB_KEY_NUMBER_ARRAY:
      FormatRange(k, expected, sizeof(expected));
      snprintf(range, sizeof(range), "%" PetscInt_FMT "+ values, each %s%s", k->min_items, expected[0] == '(' || expected[0] == '[' ? "in " : "", expected[0] ? expected : "any");
      break;
    }
    PetscCall(PetscFPrintf(PETSC_COMM_SELF, fp, "| `%s` | %s | %s | %s | %s | %s |\n", k->key, SbKeyTypeNames[k->type], k->unit && k->unit[0] ? k->unit : "-", def, range, k->meaning));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
