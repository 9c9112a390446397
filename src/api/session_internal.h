/* session_internal.h — library-internal session hooks (not public API): create a session
 * whose fast engine uses the kernels of one ISA, so tests can run every ISA path in one process. */
#ifndef DLF_API_SESSION_INTERNAL_H
#define DLF_API_SESSION_INTERNAL_H

#include "dlfusion.h"
#include "kernels/kernels.h"

/* dlf_session_create, with cfg (NULL = kern_config_get()) as the fast engine's kernels.
 * Ignored for DLF_ENGINE_REFERENCE. */
dlf_status dlf_session_create_with_config(const dlf_model *model, const dlf_session_options *opts,
                                          const kern_config *cfg, dlf_session **out);

#endif
