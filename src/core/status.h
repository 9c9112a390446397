/* status.h — how library code reports failure: return a dlf_status and leave
 * a one-line message on this thread for dlf_last_error(). */
#ifndef DLF_CORE_STATUS_H
#define DLF_CORE_STATUS_H

#include "dlfusion.h"

#if defined(__GNUC__)
#define DLF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DLF_PRINTF(a, b)
#endif

/* Record a message (printf-style) and return code, so that call sites read
 *   return dlf_error(DLF_ERR_SHAPE, "%s: node '%s' (Conv): ...", ...); */
dlf_status dlf_error(dlf_status code, const char *fmt, ...) DLF_PRINTF(2, 3);

/* Prepend context to the current message: "ctx: old message". Returns code. */
dlf_status dlf_error_prefix(dlf_status code, const char *fmt, ...) DLF_PRINTF(2, 3);

/* Clear the message (called on entry to public API functions). */
void dlf_error_clear(void);

/* Propagate a failure from a callee unchanged. */
#define DLF_TRY(expr)                                                                              \
  do {                                                                                             \
    dlf_status dlf_try_status_ = (expr);                                                           \
    if (dlf_try_status_ != DLF_OK) return dlf_try_status_;                                         \
  } while (0)

#endif
