/*
 * copper_dvc_fs: one call lists a folder and lstat()s every entry in it, on up to 4 threads.
 *
 * scan(path, threads) -> { count, names, kinds, stats }   (threads 0: names only, no stat at all)
 *   names  every entry but "." and "..", joined by "\0" (file names cannot hold NUL)
 *   kinds  Uint8Array per entry: 0 vanished, 1 regular file, 2 folder, 3 symlink, 4 other
 *   stats  Float64Array, three per entry: inode, size, mtime in ms computed exactly as Node
 *          computes Stats.mtimeMs (sec * 1e3 + nsec / 1e6, in doubles), so stamps taken here
 *          and by fs.statSync compare equal. Zero for folders known from d_type.
 * Errors opening the folder throw an Error whose `code` is the errno name (ENOENT, ENOTDIR...).
 *
 * The walk in src/tree/walk.ts does the same with readdirSync + statSync when this addon is
 * not built; it is an accelerator only, never required.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_THREADS 4
#define MIN_PER_THREAD 1024

typedef struct {
  int dfd;
  char **names;
  unsigned char *kinds;
  double *st;
  size_t from, to;
} job_t;

static void stat_range(job_t *j) {
  struct stat s;
  for (size_t i = j->from; i < j->to; i++) {
    if (j->kinds[i] == 2) continue;
    if (fstatat(j->dfd, j->names[i], &s, AT_SYMLINK_NOFOLLOW) != 0) {
      j->kinds[i] = 0;
      continue;
    }
    j->kinds[i] = S_ISREG(s.st_mode) ? 1 : S_ISDIR(s.st_mode) ? 2 : S_ISLNK(s.st_mode) ? 3 : 4;
    if (j->kinds[i] == 2) continue; /* folders carry no stamp, as when known from d_type */
    j->st[i * 3] = (double)s.st_ino;
    j->st[i * 3 + 1] = (double)s.st_size;
    j->st[i * 3 + 2] = (double)s.st_mtim.tv_sec * 1e3 + (double)s.st_mtim.tv_nsec / 1e6;
  }
}

static void *stat_thread(void *arg) {
  stat_range((job_t *)arg);
  return NULL;
}

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

static napi_value throw_errno(napi_env env, int e, const char *path) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s, scandir '%.400s'", errno_name(e), strerror(e), path);
  napi_value code, text, err;
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &err);
  napi_set_named_property(env, err, "code", code);
  napi_throw(env, err);
  return NULL;
}

static napi_value scan(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "scan(path, threads)");
    return NULL;
  }
  size_t plen = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &plen) != napi_ok) {
    napi_throw_type_error(env, NULL, "scan: path must be a string");
    return NULL;
  }
  char *path = malloc(plen + 1);
  if (!path) return throw_errno(env, ENOMEM, "");
  napi_get_value_string_utf8(env, argv[0], path, plen + 1, &plen);
  int threads = 1;
  if (argc > 1) napi_get_value_int32(env, argv[1], &threads);
  int names_only = threads == 0;
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;

  int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    int e = errno;
    napi_value r = throw_errno(env, e, path);
    free(path);
    return r;
  }
  DIR *d = fdopendir(dfd);
  if (!d) {
    int e = errno;
    close(dfd);
    napi_value r = throw_errno(env, e, path);
    free(path);
    return r;
  }
  size_t cap = 256, n = 0, bytes = 0;
  char **names = malloc(cap * sizeof(char *));
  unsigned char *kinds = malloc(cap);
  int failed = names == NULL || kinds == NULL;
  struct dirent *e;
  while (!failed && (e = readdir(d)) != NULL) {
    const char *nm = e->d_name;
    if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
    if (n == cap) {
      cap *= 2;
      char **nn = realloc(names, cap * sizeof(char *));
      unsigned char *nk = realloc(kinds, cap);
      if (nn) names = nn;
      if (nk) kinds = nk;
      if (!nn || !nk) { failed = 1; break; }
    }
    size_t l = strlen(nm);
    names[n] = malloc(l + 1);
    if (!names[n]) { failed = 1; break; }
    memcpy(names[n], nm, l + 1);
    bytes += l + 1;
    kinds[n] = e->d_type == DT_DIR ? 2 : 0;
    n++;
  }
  napi_value result = NULL;
  double *st = NULL;
  char *joined = NULL;
  if (!failed) {
    st = calloc(n ? n * 3 : 1, sizeof(double));
    joined = malloc(bytes + 1);
    failed = st == NULL || joined == NULL;
  }
  if (!failed) {
    int t = threads;
    while (t > 1 && n / (size_t)t < MIN_PER_THREAD) t--;
    if (names_only) t = 0;
    job_t jobs[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int k = 0; k < t; k++) {
      jobs[k] = (job_t){dfd, names, kinds, st, n * k / t, n * (k + 1) / t};
      if (k > 0) started[k] = pthread_create(&tids[k], NULL, stat_thread, &jobs[k]) == 0;
    }
    if (t > 0) stat_range(&jobs[0]);
    for (int k = 1; k < t; k++) {
      if (started[k]) pthread_join(tids[k], NULL);
      else stat_range(&jobs[k]);
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
      size_t l = strlen(names[i]);
      memcpy(joined + off, names[i], l);
      off += l;
      joined[off++] = 0;
    }
    napi_value s, kbuf, karr, sbuf, sarr;
    void *kdata, *sdata;
    napi_create_object(env, &result);
    napi_create_string_utf8(env, joined, off ? off - 1 : 0, &s);
    napi_create_arraybuffer(env, n, &kdata, &kbuf);
    if (n) memcpy(kdata, kinds, n);
    napi_create_typedarray(env, napi_uint8_array, n, kbuf, 0, &karr);
    napi_create_arraybuffer(env, n * 3 * sizeof(double), &sdata, &sbuf);
    if (n) memcpy(sdata, st, n * 3 * sizeof(double));
    napi_create_typedarray(env, napi_float64_array, n * 3, sbuf, 0, &sarr);
    napi_value count;
    napi_create_uint32(env, (uint32_t)n, &count);
    napi_set_named_property(env, result, "count", count);
    napi_set_named_property(env, result, "names", s);
    napi_set_named_property(env, result, "kinds", karr);
    napi_set_named_property(env, result, "stats", sarr);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  free(kinds);
  free(st);
  free(joined);
  closedir(d);
  if (failed) {
    napi_value r = throw_errno(env, ENOMEM, path);
    free(path);
    return r;
  }
  free(path);
  return result;
}

/*
 * tryLock(fd): flock(fd, LOCK_EX | LOCK_NB), the lock Python DVC's zc.lockfile takes on
 * .dvc/tmp/lock. Returns 0 when taken, else the errno (EWOULDBLOCK while another process holds
 * it). Closing the fd releases it. Spares `dvc status` a child `flock` process.
 */
static napi_value try_lock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "tryLock(fd)");
    return NULL;
  }
  int r = flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
  napi_value out;
  napi_create_int32(env, r, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, scan, NULL, &f);
  napi_set_named_property(env, exports, "scan", f);
  napi_value l;
  napi_create_function(env, "tryLock", NAPI_AUTO_LENGTH, try_lock, NULL, &l);
  napi_set_named_property(env, exports, "tryLock", l);
  return exports;
}
