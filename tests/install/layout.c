/* layout.c — prints the size of every struct the Python package mirrors, compiled against the
 * installed header: the Python test compares them with its ctypes structs, so a field added
 * to dlfusion.h and not to python/dlfusion/_lib.py fails the suite. */
#include <dlfusion.h>
#include <stdio.h>

#define SHOW(T) printf("%s %zu\n", #T, sizeof(T))

int main(void) {
  SHOW(dlf_tensor);
  SHOW(dlf_load_options);
  SHOW(dlf_layer_info);
  SHOW(dlf_model_summary);
  SHOW(dlf_session_options);
  SHOW(dlf_block_info);
  SHOW(dlf_target_info);
  SHOW(dlf_profile_options);
  SHOW(dlf_tune_options);
  SHOW(dlf_tune_result);
  return 0;
}
