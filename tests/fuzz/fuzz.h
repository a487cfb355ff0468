/* What the fuzz targets share. */
#ifndef KD_FUZZ_H
#define KD_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

/* A property of the code under test: when it does not hold, the input is a finding. */
#define ASSERT(c)                                                                             \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                              \
		}                                                                             \
	} while (0)

#endif
