#include <zlib.h>

/* inflateInit2 is a macro that Swift does not import. */
static inline int cdeflate_inflate_init_raw(z_stream *s) { return inflateInit2(s, -MAX_WBITS); }
/* deflateInit2 is a macro too: a raw deflate stream (no zlib header), as zip entries hold. */
static inline int cdeflate_deflate_init_raw(z_stream *s, int level) { return deflateInit2(s, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY); }
/* A gzip stream (RFC 1952 header and trailer checked by zlib), as slackdump's chunk files are. */
static inline int cdeflate_inflate_init_gzip(z_stream *s) { return inflateInit2(s, 16 + MAX_WBITS); }
