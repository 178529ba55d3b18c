#include <zstd.h>
#include <zdict.h>   /* ZDICT_* lives here, not in zstd.h */
