/* Idle connections for the syslog cost-curve benchmark (run_bench.py --only
 * syslog_idle10k): opens N TCP connections to HOST:PORT, sends one
 * octet-counted RFC 5424 message on each (a client that logged once, so the
 * receiver has framed something on every connection), prints "idle N" on
 * stdout once all are open, then holds them without a byte more until its
 * stdin closes, and closes them.
 *
 * Each connection is a descriptor: the soft RLIMIT_NOFILE is raised to the
 * hard one first, and a limit too low for N is reported, not worked around.
 *
 *   cc -O2 -o syslog_idle bench/syslog_idle.c
 *   ./syslog_idle 127.0.0.1 5140 10000 < /some/pipe
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Descriptors besides the connections: stdio and a few for the C library. */
#define SPARE_FDS 16

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s HOST PORT CONNECTIONS\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[2]), nconn = atoi(argv[3]);
  if (port < 1 || nconn < 1) return 2;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur < (rlim_t)nconn + SPARE_FDS) {
    fprintf(stderr, "syslog_idle: the descriptor limit (ulimit -n) is %llu, too low for %d connections\n",
            (unsigned long long)rl.rlim_cur, nconn);
    return 1;
  }
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "syslog_idle: bad IPv4 address %s\n", argv[1]);
    return 2;
  }
  int *fds = calloc((size_t)nconn, sizeof *fds);
  for (int i = 0; i < nconn; i++) {
    char msg[256], framed[300];
    int n = snprintf(msg, sizeof msg,
                     "<134>1 2026-11-21T10:00:00.000000Z idle-%05d.example.com shop 4711 HELLO - connected", i);
    int f = snprintf(framed, sizeof framed, "%d %s", n, msg);
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&addr, sizeof addr) != 0 ||
        send_all(fds[i], framed, (size_t)f) != 0) {
      fprintf(stderr, "syslog_idle: connection %d to %s:%d: %s\n", i + 1, argv[1], port, strerror(errno));
      return 1;
    }
  }
  printf("idle %d\n", nconn);
  fflush(stdout);
  for (;;) { /* until stdin closes: EOF or an error other than EINTR */
    char c;
    ssize_t r = read(0, &c, 1);
    if (r == 0 || (r < 0 && errno != EINTR)) break;
  }
  for (int i = 0; i < nconn; i++) close(fds[i]);
  free(fds);
  return 0;
}
