/* Potential evapotranspiration from the scenario: constant or by calendar month. */
#include "evapotranspiration.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant, "chrono-compatible low-level date
   algorithms", days_from_civil). */
static long long DaysFromCivil(long long y, int m, int d)
{
  const long long era = (y - (m <= 2)) / 400 - ((y - (m <= 2)) < 0 && (y - (m <= 2)) % 400 != 0);
  const long long yoe = (y - (m <= 2)) - era * 400;
  const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

  return era * 146097 + doe - 719468;
}

/* The inverse: year, month and day of a day count since 1970-01-01 (idem, civil_from_days). */
static void CivilFromDays(long long z, long long *y, int *m, int *d)
{
  const long long era = (z + 719468 >= 0 ? z + 719468 : z + 719468 - 146096) / 146097;
  const long long doe = z + 719468 - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long long mp  = (5 * doy + 2) / 153;

  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

PetscErrorCode SbCalendarAt(const char *start, PetscReal t_s, PetscInt *month, PetscInt *doy)
{
  int       y, mo, d, hh, mi, ss, m2, d2;
  long long days, y2;
  PetscReal sec;

  PetscFunctionBeginUser;
  PetscCheck(sscanf(start, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &hh, &mi, &ss) == 6 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "time.start: expected \"YYYY-MM-DDThh:mm:ss\", got \"%s\"", start);
  sec  = hh * 3600.0 + mi * 60.0 + ss + t_s;
  days = DaysFromCivil(y, mo, d) + (long long)PetscFloorReal(sec / 86400.0);
  CivilFromDays(days, &y2, &m2, &d2);
  *month = m2;
  *doy   = (PetscInt)(days - DaysFromCivil(y2, 1, 1) + 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbPotentialEvapotranspirationAt(const SbScenario *sc, SbForcing forcing, PetscReal t_s, PetscReal *pet_m_s)
{
  PetscInt  month, doy;
  PetscBool has = PETSC_FALSE;

  PetscFunctionBeginUser;
  if (forcing) PetscCall(SbForcingHasPET(forcing, &has));
  if (has) {
    PetscReal next;

    PetscCall(SbForcingPETAt(forcing, t_s, pet_m_s, &next));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  *pet_m_s = sc->pet_m_s;
  if (sc->npet_monthly == 12) {
    PetscCall(SbCalendarAt(sc->start, t_s, &month, &doy));
    *pet_m_s = sc->pet_monthly_m_s[month - 1];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
