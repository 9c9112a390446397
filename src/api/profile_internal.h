/* profile_internal.h — what a dlf_profile is inside: the internal profile the tuner reads
 * through dlf_profile_get. */
#ifndef DLF_API_PROFILE_INTERNAL_H
#define DLF_API_PROFILE_INTERNAL_H

#include "dlfusion.h"
#include "tune/profile.h"

struct dlf_profile {
  profile p;
};

/* The profile (owned by the dlf_profile); NULL for NULL. */
const profile *dlf_profile_get(const dlf_profile *p);

#endif
