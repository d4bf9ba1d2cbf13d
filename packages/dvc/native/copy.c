/*
 * copyStamped(srcs, dests, stamps, threads, mode, fixMode, trusted, out) -> Uint8Array, one status per object
 *
 * Copies cache objects whose bytes were hashed before and are unchanged since (their stamp still
 * matches) into another object store, on up to 4 threads, with the fewest file system calls:
 * the source is opened and its stamp read from the open file (so the bytes copied are the ones
 * the stamp vouches for), the copy is an unnamed file in the destination folder (O_TMPFILE)
 * filled by the kernel (reflink where the file system can, else copy_file_range) and given its
 * name only when complete (linkat). A destination is never seen half-written, and nothing at an
 * existing name is touched.
 *
 *   srcs, dests  paths joined by "\0", as many of each
 *   stamps       Float64Array, four per object: inode, size, mtime and ctime in ms, computed as
 *                Node computes fs.Stats.mtimeMs (sec * 1e3 + nsec / 1e6, in doubles)
 *   mode         the copy's mode (0444 into a store, 0666 into a workspace: the umask applies);
 *                fixMode: also fchmod it to exactly `mode` (the umask strips bits a store needs)
 *   trusted      null, or a Uint8Array: 1 for an object whose stamp is not checked (its bytes
 *                were hashed by this process as they arrived); its four stamp numbers are ignored
 *   out          null, or a Float64Array given three numbers per copied object: the new file's
 *                inode, size and mtime in ms (as fs.Stats gives them; naming it changes neither)
 *   status       0 copied; 2 reflinked (shares the source's blocks); 1 not copied: the stamp
 *                differs, the source changed while it was
 *                copied, the name exists, or any error. The caller copies those itself (hashing
 *                them, or reporting its own error), so every error keeps the wording of the
 *                JavaScript path; whatever this call left behind is removed first.
 *
 * Without O_TMPFILE support (or /proc) the copy is made under a temporary name beside the
 * destination and renamed, as the JavaScript path does. Folders above a destination are made as
 * needed. An accelerator only: sync/transfer.ts does the same without it.
 */
#ifdef __linux__ /* O_TMPFILE, linkat through /proc, copy_file_range, FICLONE */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_MAX_THREADS 4

static atomic_int no_reflink = 0;
static atomic_int no_tmpfile = 0;
static atomic_int no_cfr = 0;
static atomic_uint tmp_counter = 0;

typedef struct {
  const char **srcs;
  const char **dests;
  const double *stamps;
  const unsigned char *trusted;
  double *out;
  unsigned char *status;
  size_t n;
  int mode, fix_mode, step, first;
} copy_job_t;

static int is_unsupported(int e) { return e == EOPNOTSUPP || e == ENOTTY || e == EXDEV || e == EINVAL || e == ENOSYS || e == EPERM || e == EISDIR; }

/* The folder holding `path` (its last component cut) into `buf`. 0, or -1 when there is none or it is too long. */
static int parent_of(const char *path, char *buf, size_t cap) {
  size_t l = strlen(path);
  if (l >= cap) return -1;
  memcpy(buf, path, l + 1);
  char *slash = strrchr(buf, '/');
  if (!slash || slash == buf) return -1;
  *slash = 0;
  return 0;
}

/* mkdir -p of the folder holding `path`. 0 or -1. */
static int make_parents(const char *path) {
  char buf[4096];
  if (parent_of(path, buf, sizeof buf) != 0) return -1;
  if (mkdir(buf, 0777) == 0 || errno == EEXIST) return 0;
  if (errno != ENOENT) return -1;
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* The bytes of `s` (of `size` bytes) into `d`: 0 copied, 1 reflinked, -1 when fewer or more bytes came. */
static int fill(int s, int d, off_t size, char *buf, size_t cap) {
  if (!atomic_load(&no_reflink)) {
    if (ioctl(d, FICLONE, s) == 0) {
      struct stat st;
      return fstat(d, &st) == 0 && st.st_size == size ? 1 : -1;
    }
    if (is_unsupported(errno)) atomic_store(&no_reflink, 1);
  }
  off_t total = 0;
  if (!atomic_load(&no_cfr)) {
    for (;;) {
      ssize_t r = copy_file_range(s, NULL, d, NULL, 1 << 30, 0);
      if (r > 0) { total += r; continue; }
      if (r == 0) return total == size ? 0 : -1;
      if (total == 0 && is_unsupported(errno)) { atomic_store(&no_cfr, 1); break; }
      return -1;
    }
  }
  for (;;) {
    ssize_t r = read(s, buf, cap);
    if (r < 0) return -1;
    if (r == 0) return total == size ? 0 : -1;
    for (ssize_t off = 0; off < r;) {
      ssize_t w = write(d, buf + off, (size_t)(r - off));
      if (w <= 0) return -1;
      off += w;
    }
    total += r;
  }
}

/* Opens an unnamed file in the folder of `dest` (making it when missing); -1 when unsupported. */
static int open_unnamed(const char *dest, int mode) {
  char dir[4096];
  if (parent_of(dest, dir, sizeof dir) != 0) return -1;
  int d = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (d < 0 && errno == ENOENT && make_parents(dest) == 0) d = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (d < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) atomic_store(&no_tmpfile, 1);
  return d;
}

static double ms_of(struct timespec t) { return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6; }

/* The copy's stamp into `out` (three numbers), from its open descriptor. 0, or -1. */
static int stamp_out(int d, double *out) {
  if (!out) return 0;
  struct stat st;
  if (fstat(d, &st) != 0) return -1;
  out[0] = (double)st.st_ino;
  out[1] = (double)st.st_size;
  out[2] = ms_of(st.st_mtim);
  return 0;
}

static unsigned char copy_one(const char *src, const char *dest, const double *k, int trusted, double *out, int mode, int fix_mode, char *buf, size_t cap) {
  int s = open(src, O_RDONLY | O_CLOEXEC);
  if (s < 0) return 1;
  struct stat st;
  if (fstat(s, &st) != 0 || !S_ISREG(st.st_mode) ||
      (!trusted && (k[0] != (double)st.st_ino || k[1] != (double)st.st_size || k[2] != ms_of(st.st_mtim) || k[3] != ms_of(st.st_ctim)))) {
    close(s);
    return 1;
  }
  unsigned char status = 1;
  if (!atomic_load(&no_tmpfile)) {
    int d = open_unnamed(dest, mode);
    if (d >= 0) {
      int how = fill(s, d, st.st_size, buf, cap);
      if (how >= 0 && (!fix_mode || fchmod(d, mode) == 0) && stamp_out(d, out) == 0) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", d);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, dest, AT_SYMLINK_FOLLOW) == 0) status = how == 1 ? 2 : 0;
        else if (errno == ENOENT && access("/proc/self/fd", X_OK) != 0) atomic_store(&no_tmpfile, 1);
      }
      close(d); /* unnamed: gone with its last descriptor unless linked */
      close(s);
      return status; /* when O_TMPFILE turned out unusable, the caller copies this one */
    } else if (!atomic_load(&no_tmpfile)) {
      close(s);
      return 1;
    }
  }
  /* A temporary name beside the destination, renamed when complete. */
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.%d-%u.ctmp", dest, (int)getpid(), atomic_fetch_add(&tmp_counter, 1));
  int d = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (d < 0 && errno == ENOENT && make_parents(dest) == 0) d = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (d >= 0) {
    int how = fill(s, d, st.st_size, buf, cap);
    int ok = how >= 0 && (!fix_mode || fchmod(d, mode) == 0) && stamp_out(d, out) == 0;
    if (close(d) != 0) ok = 0;
    /* Never over an existing name: the caller decides what to do with it. */
    if (ok && access(dest, F_OK) != 0 && errno == ENOENT && rename(tmp, dest) == 0) status = how == 1 ? 2 : 0;
    else unlink(tmp);
  }
  close(s);
  return status;
}

static void *copy_thread(void *arg) {
  copy_job_t *j = arg;
  size_t cap = 256 * 1024;
  char *buf = malloc(cap);
  for (size_t i = (size_t)j->first; i < j->n; i += (size_t)j->step)
    j->status[i] = buf ? copy_one(j->srcs[i], j->dests[i], j->stamps + i * 4, j->trusted && j->trusted[i], j->out ? j->out + i * 3 : NULL, j->mode,
                                  j->fix_mode, buf, cap)
                       : 1;
  free(buf);
  return NULL;
}

/* Splits `s` (len bytes, "\0"-joined) into exactly n pointers; 0 when the count differs. */
static int split_paths(char *s, size_t len, const char **out, size_t n) {
  if (n == 0) return len == 0;
  size_t k = 0;
  out[k++] = s;
  for (size_t i = 0; i < len; i++) {
    if (s[i] != 0) continue;
    if (k == n) return 0;
    out[k++] = s + i + 1;
  }
  return k == n;
}

static char *utf8_arg(napi_env env, napi_value v, size_t *len) {
  if (napi_get_value_string_utf8(env, v, NULL, 0, len) != napi_ok) return NULL;
  char *s = malloc(*len + 1);
  if (s) napi_get_value_string_utf8(env, v, s, *len + 1, len);
  return s;
}

napi_value copy_stamped(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  const char *usage = "copyStamped(srcs, dests, stamps, threads, mode, fixMode, trusted, out)";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 8) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  napi_typedarray_type type;
  size_t count = 0;
  void *data = NULL;
  int32_t threads = 1, mode = 0444;
  bool fix = false;
  if (napi_get_typedarray_info(env, argv[2], &type, &count, &data, NULL, NULL) != napi_ok || type != napi_float64_array || count % 4 != 0 ||
      napi_get_value_int32(env, argv[3], &threads) != napi_ok || napi_get_value_int32(env, argv[4], &mode) != napi_ok ||
      napi_get_value_bool(env, argv[5], &fix) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  size_t n = count / 4, slen = 0, dlen = 0;
  const unsigned char *trusted = NULL;
  double *outst = NULL;
  napi_valuetype vt;
  if (napi_typeof(env, argv[6], &vt) == napi_ok && vt != napi_null && vt != napi_undefined) {
    size_t tn = 0;
    void *td = NULL;
    if (napi_get_typedarray_info(env, argv[6], &type, &tn, &td, NULL, NULL) != napi_ok || type != napi_uint8_array || tn != n) {
      napi_throw_type_error(env, NULL, "copyStamped: trusted must be a Uint8Array with one entry per object");
      return NULL;
    }
    trusted = td;
  }
  if (napi_typeof(env, argv[7], &vt) == napi_ok && vt != napi_null && vt != napi_undefined) {
    size_t on = 0;
    void *od = NULL;
    if (napi_get_typedarray_info(env, argv[7], &type, &on, &od, NULL, NULL) != napi_ok || type != napi_float64_array || on != n * 3) {
      napi_throw_type_error(env, NULL, "copyStamped: out must be a Float64Array with three entries per object");
      return NULL;
    }
    outst = od;
  }
  char *srcs = utf8_arg(env, argv[0], &slen);
  char *dests = utf8_arg(env, argv[1], &dlen);
  const char **sp = malloc((n ? n : 1) * sizeof(char *));
  const char **dp = malloc((n ? n : 1) * sizeof(char *));
  napi_value result = NULL;
  if (!srcs || !dests || !sp || !dp || !split_paths(srcs, slen, sp, n) || !split_paths(dests, dlen, dp, n)) {
    napi_throw_type_error(env, NULL, "copyStamped: srcs and dests must hold one path per stamp");
  } else {
    void *out = NULL;
    napi_value ab;
    napi_create_arraybuffer(env, n, &out, &ab);
    memset(out, 1, n);
    if (threads < 1) threads = 1;
    if (threads > COPY_MAX_THREADS) threads = COPY_MAX_THREADS;
    if ((size_t)threads > n) threads = n ? (int32_t)n : 1;
    copy_job_t jobs[COPY_MAX_THREADS];
    pthread_t tids[COPY_MAX_THREADS];
    int started[COPY_MAX_THREADS] = {0};
    for (int t = 0; t < threads; t++) {
      jobs[t] = (copy_job_t){sp, dp, (const double *)data, trusted, outst, out, n, mode, fix, threads, t};
      if (t > 0) started[t] = pthread_create(&tids[t], NULL, copy_thread, &jobs[t]) == 0;
    }
    copy_thread(&jobs[0]);
    for (int t = 1; t < threads; t++) {
      if (started[t]) pthread_join(tids[t], NULL);
      else copy_thread(&jobs[t]); /* no thread: this one does its share */
    }
    napi_create_typedarray(env, napi_uint8_array, n, ab, 0, &result);
  }
  free(srcs);
  free(dests);
  free(sp);
  free(dp);
  return result;
}
#endif /* __linux__ */
