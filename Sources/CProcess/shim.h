#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* No core file, and (Linux) not dumpable: a crash or a ptrace attach by another
   process of the same user cannot copy the plaintext and keys in memory.
   prctl is variadic, which Swift does not import. Returns 0 when both took. */
static inline int cprocess_disable_core_dumps(void) {
    struct rlimit none = {0, 0};
    int r = setrlimit(RLIMIT_CORE, &none);
#ifdef __linux__
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) r = -1;
#endif
    return r;
}
