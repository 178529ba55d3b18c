#include <zlib.h>

/* inflateInit2 is a macro that Swift does not import. */
static inline int cdeflate_inflate_init_raw(z_stream *s) { return inflateInit2(s, -MAX_WBITS); }
