/* The shuibao command: main() only; everything else is in libshuibao. */
#include "cli.h"

int main(int argc, char **argv)
{
  return SbMain(argc, argv);
}
