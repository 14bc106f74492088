/*
 * A power cut for redis-server, simulated: LD_PRELOAD this library and every write() to an append-only file
 * (a name ending in ".aof") stays in this process's memory until Redis fsyncs (fdatasync/fsync) or closes that file.
 * A SIGKILL then loses exactly what an operating-system crash or power cut would lose: what the kernel was given
 * but not yet flushed to the disk. Built by test/faults/support/powercut.ts.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FD 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static signed char tracked[MAX_FD]; /* 0 unknown, 1 an AOF, -1 anything else */
static char *pending[MAX_FD];
static size_t pending_len[MAX_FD], pending_cap[MAX_FD];

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);

static void init(void) {
  if (!real_write) {
    real_write = dlsym(RTLD_NEXT, "write");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_close = dlsym(RTLD_NEXT, "close");
  }
}

static int is_aof(int fd) {
  if (fd < 0 || fd >= MAX_FD) return 0;
  if (tracked[fd] == 0) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    path[n > 0 ? n : 0] = 0;
    tracked[fd] = (n > 4 && strcmp(path + n - 4, ".aof") == 0) ? 1 : -1;
  }
  return tracked[fd] == 1;
}

/* Writes what is pending for fd to the kernel; the caller holds the lock. */
static int flush_pending(int fd) {
  size_t done = 0;
  while (done < pending_len[fd]) {
    ssize_t n = real_write(fd, pending[fd] + done, pending_len[fd] - done);
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  pending_len[fd] = 0;
  return 0;
}

ssize_t write(int fd, const void *data, size_t len) {
  init();
  pthread_mutex_lock(&lock);
  if (!is_aof(fd)) {
    pthread_mutex_unlock(&lock);
    return real_write(fd, data, len);
  }
  if (pending_len[fd] + len > pending_cap[fd]) {
    size_t cap = (pending_len[fd] + len) * 2;
    char *grown = realloc(pending[fd], cap);
    if (!grown) {
      pthread_mutex_unlock(&lock);
      return real_write(fd, data, len);
    }
    pending[fd] = grown;
    pending_cap[fd] = cap;
  }
  memcpy(pending[fd] + pending_len[fd], data, len);
  pending_len[fd] += len;
  pthread_mutex_unlock(&lock);
  return (ssize_t)len;
}

static int synced(int fd, int (*sync)(int)) {
  init();
  pthread_mutex_lock(&lock);
  if (fd >= 0 && fd < MAX_FD && tracked[fd] == 1) flush_pending(fd);
  pthread_mutex_unlock(&lock);
  return sync(fd);
}

int fsync(int fd) { init(); return synced(fd, real_fsync); }
int fdatasync(int fd) { init(); return synced(fd, real_fdatasync); }

int close(int fd) {
  init();
  pthread_mutex_lock(&lock);
  if (fd >= 0 && fd < MAX_FD) {
    if (tracked[fd] == 1) flush_pending(fd);
    tracked[fd] = 0;
  }
  pthread_mutex_unlock(&lock);
  return real_close(fd);
}
