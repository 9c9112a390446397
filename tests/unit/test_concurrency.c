/* test_concurrency.c — sessions running at the same time from several threads, through the
 * public API: outputs bit-identical to a lone run of the same engine; models and sessions
 * created concurrently. Run under ThreadSanitizer by `make test-tsan`. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "dlfusion.h"
#include "test.h"

#define FIX "tests/fixtures/small/"
#define ZOO_MODEL "zoo:squeezenet1_0"
#define N_THREADS 4
#define MAX_IO 4

/* A model's float inputs (deterministic small values) and its output sizes. */
typedef struct model_io {
  int n_in, n_out;
  float *in[MAX_IO];
  int64_t out_elems[MAX_IO];
} model_io;

static int64_t tensor_elems(const dlf_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++)
    n *= t->dims[d];
  return n;
}

/* Fills inputs with multiples of 1/8 in [-2, 2) from a 64-bit LCG: exact in float. */
static dlf_status io_init(const dlf_model *m, model_io *io) {
  memset(io, 0, sizeof *io);
  io->n_in = dlf_model_num_inputs(m);
  io->n_out = dlf_model_num_outputs(m);
  if (io->n_in > MAX_IO || io->n_out > MAX_IO) return DLF_ERR_UNSUPPORTED;
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < io->n_in; i++) {
    dlf_tensor t;
    dlf_status st = dlf_model_input(m, i, &t);
    if (st != DLF_OK) return st;
    if (t.dtype != DLF_FLOAT32) return DLF_ERR_UNSUPPORTED;
    int64_t n = tensor_elems(&t);
    io->in[i] = malloc(sizeof(float) * (size_t)n);
    if (!io->in[i]) return DLF_ERR_NOMEM;
    for (int64_t j = 0; j < n; j++) {
      x = x * 6364136223846793005u + 1442695040888963407u;
      io->in[i][j] = (float)((int)(x >> 59) - 16) / 8.0f;
    }
  }
  for (int o = 0; o < io->n_out; o++) {
    dlf_tensor t;
    dlf_status st = dlf_model_output(m, o, &t);
    if (st != DLF_OK) return st;
    io->out_elems[o] = tensor_elems(&t);
  }
  return DLF_OK;
}

static void io_free(model_io *io) {
  for (int i = 0; i < io->n_in; i++)
    free(io->in[i]);
}

static void outputs_free(float **out, int n) {
  for (int o = 0; o < n; o++)
    free(out[o]);
}

static dlf_status outputs_alloc(const model_io *io, float **out) {
  memset(out, 0, sizeof(float *) * MAX_IO);
  for (int o = 0; o < io->n_out; o++)
    if (!(out[o] = calloc((size_t)io->out_elems[o], sizeof(float)))) return DLF_ERR_NOMEM;
  return DLF_OK;
}

static dlf_status run_session(dlf_session *s, const model_io *io, float **out) {
  return dlf_session_run(s, (const void *const *)io->in, (void *const *)out);
}

static dlf_status one_run(const dlf_model *m, const model_io *io, dlf_engine engine, int threads,
                          float **out) {
  dlf_session_options so = {.engine = engine, .threads = threads};
  dlf_session *s = NULL;
  dlf_status st = outputs_alloc(io, out);
  for (int o = 0; st == DLF_OK && o < io->n_out; o++) /* unwritten values show as NaN */
    memset(out[o], 0xff, sizeof(float) * (size_t)io->out_elems[o]);
  if (st == DLF_OK) st = dlf_session_create(m, &so, &s);
  if (st == DLF_OK) st = run_session(s, io, out);
  dlf_session_free(s);
  return st;
}

/* The outputs of one session of `engine` with `threads`, created and run alone — the
 * expected values of the concurrent runs. A fast-engine lone run is first checked against
 * the reference executor (1e-4 of each output's range), so that an engine that computes
 * nothing, or the same wrong thing every time, cannot pass as "identical to itself". */
static dlf_status lone_run(const dlf_model *m, const model_io *io, dlf_engine engine, int threads,
                           float **out) {
  dlf_status st = one_run(m, io, engine, threads, out);
  if (st != DLF_OK || engine == DLF_ENGINE_REFERENCE) return st;
  float *ref[MAX_IO] = {NULL};
  st = one_run(m, io, DLF_ENGINE_REFERENCE, 1, ref);
  for (int o = 0; st == DLF_OK && o < io->n_out; o++) {
    float lo = ref[o][0], hi = ref[o][0];
    for (int64_t i = 1; i < io->out_elems[o]; i++) {
      lo = ref[o][i] < lo ? ref[o][i] : lo;
      hi = ref[o][i] > hi ? ref[o][i] : hi;
    }
    const double tol = 1e-4 * ((double)hi - lo) + 1e-6;
    for (int64_t i = 0; i < io->out_elems[o]; i++)
      if (!(fabs((double)out[o][i] - ref[o][i]) <= tol)) { /* NaN fails too */
        st = dlf_error(DLF_ERR_INTERNAL, "lone run (threads=%d): output %d [%lld] = %g, the "
                       "reference gives %g", threads, o, (long long)i, (double)out[o][i],
                       (double)ref[o][i]);
        break;
      }
  }
  outputs_free(ref, io->n_out);
  return st;
}

/* One thread's job. Worker threads never call test_fail (the test runner is not thread
 * safe): they record the outcome and the main thread checks it after joining. */
typedef struct job {
  /* in */
  const char *spec; /* load this model in the thread, or NULL: use `model` */
  const dlf_model *model;
  const model_io *io;
  float *const *expected; /* [n_out] outputs of the lone run, or NULL: keep them in got */
  float *const *got;      /* [n_out] buffers for the last run's outputs (expected NULL) */
  dlf_session *session;   /* created by the main thread, or NULL: create in the thread */
  dlf_session_options so;
  int runs;
  pthread_barrier_t *start; /* all threads begin together */
  /* out */
  dlf_status status;
  char error[256];
  int mismatches;    /* runs whose outputs differ from expected */
  int64_t first_bad; /* first differing element of the first bad run, or -1 */
} job;

static void *job_main(void *arg) {
  job *j = arg;
  dlf_model *own = NULL;
  dlf_session *s = j->session;
  float *out[MAX_IO];
  j->first_bad = -1;
  pthread_barrier_wait(j->start);
  dlf_status st = outputs_alloc(j->io, out);
  const dlf_model *m = j->model;
  if (st == DLF_OK && j->spec) {
    st = dlf_model_load(j->spec, NULL, &own);
    m = own;
  }
  if (st == DLF_OK && !s) st = dlf_session_create(m, &j->so, &s);
  for (int r = 0; r < j->runs && st == DLF_OK; r++) {
    for (int o = 0; o < j->io->n_out; o++) /* a run that writes nothing must not pass */
      memset(out[o], 0xff, sizeof(float) * (size_t)j->io->out_elems[o]);
    st = run_session(s, j->io, out);
    if (st != DLF_OK) break;
    if (!j->expected) {
      for (int o = 0; o < j->io->n_out; o++)
        memcpy(j->got[o], out[o], sizeof(float) * (size_t)j->io->out_elems[o]);
      continue;
    }
    int bad = 0;
    for (int o = 0; o < j->io->n_out; o++)
      if (memcmp(out[o], j->expected[o], sizeof(float) * (size_t)j->io->out_elems[o])) {
        if (!bad && j->first_bad < 0)
          for (int64_t i = 0; i < j->io->out_elems[o] && j->first_bad < 0; i++)
            if (memcmp(&out[o][i], &j->expected[o][i], sizeof(float))) j->first_bad = i;
        bad = 1;
      }
    j->mismatches += bad;
  }
  j->status = st;
  if (st != DLF_OK) snprintf(j->error, sizeof j->error, "%s", dlf_last_error());
  if (s != j->session) dlf_session_free(s);
  dlf_model_free(own);
  outputs_free(out, j->io->n_out);
  return NULL;
}

/* Starts n jobs at once, joins them and reports each one's outcome. */
static void run_jobs(job *jobs, int n) {
  pthread_t th[N_THREADS];
  pthread_barrier_t start;
  REQUIRE(n <= N_THREADS);
  REQUIRE(pthread_barrier_init(&start, NULL, (unsigned)n) == 0);
  int started = 0;
  for (int i = 0; i < n; i++) {
    jobs[i].start = &start;
    if (pthread_create(&th[i], NULL, job_main, &jobs[i]) != 0) break;
    started++;
  }
  REQUIRE(started == n); /* else the barrier would never open: the test cannot go on */
  for (int i = 0; i < n; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&start);
  for (int i = 0; i < n; i++) {
    if (jobs[i].status != DLF_OK)
      test_fail(__FILE__, __LINE__, "thread %d (threads=%d): %s", i, jobs[i].so.threads,
                jobs[i].error);
    if (jobs[i].mismatches)
      test_fail(__FILE__, __LINE__,
                "thread %d (threads=%d): %d of %d runs differ from the lone run (first at %lld)", i,
                jobs[i].so.threads, jobs[i].mismatches, jobs[i].runs, (long long)jobs[i].first_bad);
  }
}

/* Threads that load a model, create a session and run it, all at once: in a process that
 * has not created a session yet (`dlf_tests concurrency`), the first session creation (CPU
 * detection, kernel configuration) is concurrent. The outputs, kept and compared after
 * joining, equal a lone run's on the main thread. */
TEST(test_concurrency_models_loaded_and_run_concurrently) {
  static const char *const specs[2] = {ZOO_MODEL, FIX "relu_add.onnx"};
  for (int sp = 0; sp < 2; sp++) {
    dlf_model *m = NULL; /* only read for shapes until the threads are done */
    REQUIRE_OK(dlf_model_load(specs[sp], NULL, &m));
    model_io io;
    float *got[N_THREADS][MAX_IO] = {{NULL}}, *expected[2][MAX_IO] = {{NULL}};
    dlf_status st = io_init(m, &io);
    for (int i = 0; i < N_THREADS && st == DLF_OK; i++)
      st = outputs_alloc(&io, got[i]);
    if (st == DLF_OK) {
      job jobs[N_THREADS];
      memset(jobs, 0, sizeof jobs);
      for (int i = 0; i < N_THREADS; i++) {
        jobs[i].spec = specs[sp];
        jobs[i].io = &io;
        jobs[i].so = (dlf_session_options){.engine = DLF_ENGINE_DEFAULT, .threads = 1 + i % 2};
        jobs[i].got = got[i];
        jobs[i].runs = 1;
      }
      run_jobs(jobs, N_THREADS);
      for (int t = 0; t < 2 && st == DLF_OK; t++)
        st = lone_run(m, &io, DLF_ENGINE_DEFAULT, t + 1, expected[t]);
      for (int i = 0; i < N_THREADS && st == DLF_OK; i++)
        for (int o = 0; o < io.n_out; o++)
          if (memcmp(got[i][o], expected[i % 2][o], sizeof(float) * (size_t)io.out_elems[o]))
            test_fail(__FILE__, __LINE__,
                      "%s: thread %d (threads=%d): output %d differs from"
                      " the lone run",
                      specs[sp], i, 1 + i % 2, o);
    }
    if (st != DLF_OK) test_fail(__FILE__, __LINE__, "%s: %s", specs[sp], dlf_last_error());
    for (int t = 0; t < 2; t++)
      outputs_free(expected[t], io.n_out);
    for (int i = 0; i < N_THREADS; i++)
      outputs_free(got[i], io.n_out);
    io_free(&io);
    dlf_model_free(m);
  }
}

/* Sessions created on the main thread, run at the same time: 4 threads x 3 runs, sessions
 * with 1 and 2 threads, each output bit-identical to a lone session with as many threads. */
static void check_concurrent_runs(const char *spec, dlf_engine engine, int runs) {
  dlf_model *m = NULL;
  REQUIRE_OK(dlf_model_load(spec, NULL, &m));
  model_io io;
  float *expected[2][MAX_IO] = {{NULL}};
  dlf_session *sessions[N_THREADS] = {NULL};
  dlf_status st = io_init(m, &io);
  for (int t = 0; t < 2 && st == DLF_OK; t++)
    st = lone_run(m, &io, engine, t + 1, expected[t]);
  job jobs[N_THREADS];
  memset(jobs, 0, sizeof jobs);
  for (int i = 0; i < N_THREADS && st == DLF_OK; i++) {
    jobs[i].model = m;
    jobs[i].io = &io;
    jobs[i].so = (dlf_session_options){.engine = engine, .threads = 1 + i % 2};
    jobs[i].expected = expected[i % 2];
    jobs[i].runs = runs;
    st = dlf_session_create(m, &jobs[i].so, &sessions[i]);
    jobs[i].session = sessions[i];
  }
  if (st == DLF_OK)
    run_jobs(jobs, N_THREADS);
  else
    test_fail(__FILE__, __LINE__, "%s: setup: %s", spec, dlf_last_error());
  for (int i = 0; i < N_THREADS; i++)
    dlf_session_free(sessions[i]);
  for (int t = 0; t < 2; t++)
    outputs_free(expected[t], io.n_out);
  io_free(&io);
  dlf_model_free(m);
}

TEST(test_concurrency_zoo_sessions_run_concurrently_match_a_lone_run) {
  check_concurrent_runs(ZOO_MODEL, DLF_ENGINE_DEFAULT, 3);
}

TEST(test_concurrency_small_onnx_sessions_run_concurrently_match_a_lone_run) {
  check_concurrent_runs(FIX "relu_add.onnx", DLF_ENGINE_DEFAULT, 50);
}

TEST(test_concurrency_reference_sessions_run_concurrently_match_a_lone_run) {
  check_concurrent_runs(FIX "relu_add.onnx", DLF_ENGINE_REFERENCE, 50);
}

/* One model, sessions created from it by 4 threads at once (compilation reads the shared
 * model concurrently), each run 3 times. */
TEST(test_concurrency_sessions_created_concurrently_from_one_model) {
  dlf_model *m = NULL;
  REQUIRE_OK(dlf_model_load(ZOO_MODEL, NULL, &m));
  model_io io;
  float *expected[2][MAX_IO] = {{NULL}};
  dlf_status st = io_init(m, &io);
  for (int t = 0; t < 2 && st == DLF_OK; t++)
    st = lone_run(m, &io, DLF_ENGINE_DEFAULT, t + 1, expected[t]);
  if (st == DLF_OK) {
    job jobs[N_THREADS];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < N_THREADS; i++) {
      jobs[i].model = m;
      jobs[i].io = &io;
      jobs[i].so = (dlf_session_options){.engine = DLF_ENGINE_DEFAULT, .threads = 1 + i % 2};
      jobs[i].expected = expected[i % 2];
      jobs[i].runs = 3;
    }
    run_jobs(jobs, N_THREADS);
  } else {
    test_fail(__FILE__, __LINE__, "lone run: %s", dlf_last_error());
  }
  for (int t = 0; t < 2; t++)
    outputs_free(expected[t], io.n_out);
  io_free(&io);
  dlf_model_free(m);
}
