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
#include <stdbool.h>
#include <stdint.h>
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

/*
 * The JS string `v` as a malloc'd C string (the caller frees it); NULL with a TypeError (`usage`)
 * or an ENOMEM error thrown when it is not a string or cannot be copied.
 */
static char *string_arg(napi_env env, napi_value v, const char *usage) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) {
    throw_errno(env, ENOMEM, "");
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static napi_value scan(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "scan(path, threads)");
    return NULL;
  }
  char *path = string_arg(env, argv[0], "scan: path must be a string");
  if (!path) return NULL;
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

/* ---- walkCompare: a tracked folder's whole walk, compared with its last snapshot in place ---- */

typedef struct {
  char *p;
  size_t len, cap;
} sbuf_t;

static int sb_put(sbuf_t *b, const void *d, size_t l) {
  if (b->len + l > b->cap) {
    size_t c = b->cap ? b->cap : 4096;
    while (c < b->len + l) c *= 2;
    char *np = realloc(b->p, c);
    if (!np) return -1;
    b->p = np;
    b->cap = c;
  }
  memcpy(b->p + b->len, d, l);
  b->len += l;
  return 0;
}

/* Lists folder `dfd` (names, kinds, stamps as scan() does); 0, or an errno. */
static int list_folder(int dfd, int threads, size_t *count, char ***names_out, unsigned char **kinds_out, double **st_out) {
  int dup_fd = dup(dfd);
  if (dup_fd < 0) return errno;
  DIR *d = fdopendir(dup_fd);
  if (!d) {
    int e = errno;
    close(dup_fd);
    return e;
  }
  size_t cap = 256, n = 0;
  char **names = malloc(cap * sizeof(char *));
  unsigned char *kinds = malloc(cap);
  int err = names == NULL || kinds == NULL ? ENOMEM : 0;
  struct dirent *e;
  errno = 0;
  while (!err && (e = readdir(d)) != NULL) {
    const char *nm = e->d_name;
    if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
    if (n == cap) {
      cap *= 2;
      char **nn = realloc(names, cap * sizeof(char *));
      unsigned char *nk = realloc(kinds, cap);
      if (nn) names = nn;
      if (nk) kinds = nk;
      if (!nn || !nk) { err = ENOMEM; break; }
    }
    names[n] = strdup(nm);
    if (!names[n]) { err = ENOMEM; break; }
    kinds[n] = e->d_type == DT_DIR ? 2 : 0;
    n++;
  }
  double *st = NULL;
  if (!err) {
    st = calloc(n ? n * 3 : 1, sizeof(double));
    if (!st) err = ENOMEM;
  }
  if (!err) {
    int t = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
    while (t > 1 && n / (size_t)t < MIN_PER_THREAD) t--;
    job_t jobs[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int k = 0; k < t; k++) {
      jobs[k] = (job_t){dfd, names, kinds, st, n * k / t, n * (k + 1) / t};
      if (k > 0) started[k] = pthread_create(&tids[k], NULL, stat_thread, &jobs[k]) == 0;
    }
    stat_range(&jobs[0]);
    for (int k = 1; k < t; k++) {
      if (started[k]) pthread_join(tids[k], NULL);
      else stat_range(&jobs[k]);
    }
  }
  closedir(d);
  if (err) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(kinds);
    free(st);
    return err;
  }
  *count = n;
  *names_out = names;
  *kinds_out = kinds;
  *st_out = st;
  return 0;
}

typedef struct {
  char *rel; /* relative to the walked folder, "" for itself */
  int dfd;
} dir_item_t;

/*
 * walkCompare(path, snapshot | null, threads) walks `path` as src/tree/walk.ts walks a tracked
 * folder (same order: each folder's entries in listing order, sub-folders from a stack; .git,
 * .dvc and .hg folders skipped, sockets/fifos/devices skipped) and compares each file's name and
 * stamp with the snapshot (state.ts's layout) as it goes, without a JS value per file.
 * Returns true when the walk equals the snapshot; else { count, names ("\0"-joined paths),
 * stats (Float64Array, 3 per file) }; null when the JS walk must decide (a symlink, a
 * .dvcignore file, a sub-folder that cannot be listed). Throws like scan() when `path` cannot
 * be opened.
 */
static napi_value walk_compare(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, NULL, "walkCompare(path, snapshot, threads)");
    return NULL;
  }
  char *path = string_arg(env, argv[0], "walkCompare: path must be a string");
  if (!path) return NULL;
  int threads = 1;
  napi_get_value_int32(env, argv[2], &threads);

  /* The snapshot: header (magic, n, names length), n*24 stamp bytes, n*16 md5s, n*4 order, names. */
  const unsigned char *snap = NULL;
  size_t snap_len = 0;
  bool is_buf = false;
  napi_is_buffer(env, argv[1], &is_buf);
  if (is_buf) napi_get_buffer_info(env, argv[1], (void **)&snap, &snap_len);
  size_t sn = 0;
  const unsigned char *s_stamps = NULL, *s_names = NULL, *s_end = NULL;
  if (snap && snap_len >= 32) {
    uint32_t magic, cnt, nlen;
    memcpy(&magic, snap, 4);
    memcpy(&cnt, snap + 4, 4);
    memcpy(&nlen, snap + 8, 4);
    if (magic == 0x32445043 && snap_len >= 32 + (size_t)cnt * 44 + nlen) {
      sn = cnt;
      s_stamps = snap + 32;
      s_names = snap + 32 + (size_t)cnt * 44;
      s_end = s_names + nlen;
    }
  }
  int same = s_stamps != NULL;
  size_t k = 0; /* next snapshot entry */
  const unsigned char *cur = s_names;

  int top = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (top < 0) {
    int e = errno;
    napi_value r = throw_errno(env, e, path);
    free(path);
    return r;
  }
  sbuf_t out_names = {0}, out_st = {0};
  size_t count = 0;
  size_t scap = 16, sp = 0;
  dir_item_t *stack = malloc(scap * sizeof(dir_item_t));
  int fallback = 0, oom = stack == NULL;
  if (!oom) stack[sp++] = (dir_item_t){strdup(""), top};
  else close(top);
  char *relbuf = NULL;
  size_t relcap = 0;
  while (sp && !fallback && !oom) {
    dir_item_t it = stack[--sp];
    size_t n = 0;
    char **names = NULL;
    unsigned char *kinds = NULL;
    double *st = NULL;
    int e = it.rel ? list_folder(it.dfd, threads, &n, &names, &kinds, &st) : ENOMEM;
    if (e) {
      if (e == ENOMEM) oom = 1;
      else fallback = 1;
    }
    size_t rl = it.rel ? strlen(it.rel) : 0;
    for (size_t i = 0; i < n && !fallback && !oom; i++) {
      unsigned char kind = kinds[i];
      const char *nm = names[i];
      if (kind == 0 || kind == 4) continue;
      if (kind == 3) { fallback = 1; break; }
      if (kind == 1 && strcmp(nm, ".dvcignore") == 0) { fallback = 1; break; }
      size_t nl = strlen(nm);
      size_t need = rl + 1 + nl + 1;
      if (need > relcap) {
        relcap = need * 2;
        char *nb = realloc(relbuf, relcap);
        if (!nb) { oom = 1; break; }
        relbuf = nb;
      }
      size_t l = 0;
      if (rl) {
        memcpy(relbuf, it.rel, rl);
        relbuf[rl] = '/';
        l = rl + 1;
      }
      memcpy(relbuf + l, nm, nl + 1);
      l += nl;
      if (kind == 2) {
        if (strcmp(nm, ".git") == 0 || strcmp(nm, ".dvc") == 0 || strcmp(nm, ".hg") == 0) continue;
        int cfd = openat(it.dfd, nm, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (cfd < 0) { fallback = 1; break; }
        if (sp == scap) {
          scap *= 2;
          dir_item_t *ns = realloc(stack, scap * sizeof(dir_item_t));
          if (!ns) { close(cfd); oom = 1; break; }
          stack = ns;
        }
        char *r = strdup(relbuf);
        if (!r) { close(cfd); oom = 1; break; }
        stack[sp++] = (dir_item_t){r, cfd};
        continue;
      }
      /* a regular file */
      if (same) {
        if (k >= sn || cur >= s_end) same = 0;
        else {
          size_t room = (size_t)(s_end - cur);
          const unsigned char *z = memchr(cur, 0, room);
          size_t sl = z ? (size_t)(z - cur) : room;
          double s3[3];
          memcpy(s3, s_stamps + k * 24, 24);
          if (sl != l || memcmp(cur, relbuf, l) != 0 || s3[0] != st[i * 3] || s3[1] != st[i * 3 + 1] || s3[2] != st[i * 3 + 2]) same = 0;
          cur += sl + 1;
          k++;
        }
      }
      if (sb_put(&out_names, relbuf, l + 1) || sb_put(&out_st, st + i * 3, 3 * sizeof(double))) { oom = 1; break; }
      count++;
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(kinds);
    free(st);
    free(it.rel);
    close(it.dfd);
  }
  while (sp) {
    sp--;
    free(stack[sp].rel);
    close(stack[sp].dfd);
  }
  free(stack);
  free(relbuf);
  napi_value result = NULL;
  if (oom) {
    result = throw_errno(env, ENOMEM, path);
  } else if (fallback) {
    napi_get_null(env, &result);
  } else if (same && k == sn) {
    napi_get_boolean(env, true, &result);
  } else {
    napi_value s, sbuf, sarr, cnt;
    void *sdata;
    napi_create_object(env, &result);
    napi_create_string_utf8(env, out_names.p ? out_names.p : "", out_names.len ? out_names.len - 1 : 0, &s);
    napi_create_arraybuffer(env, count * 3 * sizeof(double), &sdata, &sbuf);
    if (count) memcpy(sdata, out_st.p, count * 3 * sizeof(double));
    napi_create_typedarray(env, napi_float64_array, count * 3, sbuf, 0, &sarr);
    napi_create_uint32(env, (uint32_t)count, &cnt);
    napi_set_named_property(env, result, "count", cnt);
    napi_set_named_property(env, result, "names", s);
    napi_set_named_property(env, result, "stats", sarr);
  }
  free(out_names.p);
  free(out_st.p);
  free(path);
  return result;
}

/*
 * dirStamps(path): "name:ino:mtime_ns:ctime_ns;" for each two-character entry of `path`, sorted by
 * name (the cache's prefix folders), and the newest ctime in ms, as [text, newestCtimeMs]; throws
 * like scan() when the folder cannot be read.
 */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static napi_value dir_stamps(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "dirStamps(path)");
    return NULL;
  }
  char *path = string_arg(env, argv[0], "dirStamps(path)");
  if (!path) return NULL;
  DIR *d = opendir(path);
  if (!d) {
    int e = errno;
    napi_value r = throw_errno(env, e, path);
    free(path);
    return r;
  }
  char **names = malloc(256 * 256 * sizeof(char *));
  size_t n = 0;
  struct dirent *e;
  while (names && (e = readdir(d)) != NULL && n < 256 * 256) {
    if (strlen(e->d_name) != 2 || e->d_name[0] == '.') continue;
    names[n] = strdup(e->d_name);
    if (names[n]) n++;
  }
  qsort(names, n, sizeof(char *), cmp_str);
  sbuf_t out = {0};
  double newest = 0;
  int failed = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat s;
    if (!failed && fstatat(dirfd(d), names[i], &s, AT_SYMLINK_NOFOLLOW) == 0) {
      char line[160];
      int l = snprintf(line, sizeof line, "%s:%llu:%lld%09ld:%lld%09ld;", names[i], (unsigned long long)s.st_ino,
                       (long long)s.st_mtim.tv_sec, (long)s.st_mtim.tv_nsec, (long long)s.st_ctim.tv_sec, (long)s.st_ctim.tv_nsec);
      double c = (double)s.st_ctim.tv_sec * 1e3 + (double)s.st_ctim.tv_nsec / 1e6;
      if (c > newest) newest = c;
      if (l < 0 || sb_put(&out, line, (size_t)l)) failed = 1;
    } else failed = 1;
    free(names[i]);
  }
  closedir(d);
  free(path);
  if (!names) failed = 1;
  free(names);
  napi_value result = NULL;
  if (failed) {
    napi_get_null(env, &result);
  } else {
    napi_value s, t;
    napi_create_array_with_length(env, 2, &result);
    napi_create_string_utf8(env, out.p ? out.p : "", out.len, &s);
    napi_create_double(env, newest, &t);
    napi_set_element(env, result, 0, s);
    napi_set_element(env, result, 1, t);
  }
  free(out.p);
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

#ifdef __linux__ /* native/copy.c */
napi_value copy_stamped(napi_env env, napi_callback_info info);
#endif

NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, scan, NULL, &f);
  napi_set_named_property(env, exports, "scan", f);
  napi_value l;
  napi_create_function(env, "tryLock", NAPI_AUTO_LENGTH, try_lock, NULL, &l);
  napi_set_named_property(env, exports, "tryLock", l);
  napi_value w;
  napi_create_function(env, "walkCompare", NAPI_AUTO_LENGTH, walk_compare, NULL, &w);
  napi_set_named_property(env, exports, "walkCompare", w);
  napi_value ds;
  napi_create_function(env, "dirStamps", NAPI_AUTO_LENGTH, dir_stamps, NULL, &ds);
  napi_set_named_property(env, exports, "dirStamps", ds);
#ifdef __linux__
  napi_value cs;
  napi_create_function(env, "copyStamped", NAPI_AUTO_LENGTH, copy_stamped, NULL, &cs);
  napi_set_named_property(env, exports, "copyStamped", cs);
#endif
  return exports;
}
