/* target_internal.h — what a dlf_target is inside: the internal target struct other library
 * code (profile, tuner, sessions) reads through dlf_target_get. */
#ifndef DLF_API_TARGET_INTERNAL_H
#define DLF_API_TARGET_INTERNAL_H

#include "dlfusion.h"
#include "target/target.h"

struct dlf_target {
  target t;
};

/* The target (owned by the dlf_target); NULL for NULL. */
const target *dlf_target_get(const dlf_target *t);

/* Wrap a copy of an internal target (made by target_host, target_parse or a test). */
dlf_status dlf_target_wrap(const target *t, dlf_target **out);

#endif
