/* The kernel's floor under the syslog cost curve's idle connections
 * (run_bench.py --only syslog_idle10k): the least a TCP receiver can spend to
 * accept N connections, read what each sent, and close them, so that
 * sluice's fixed cost per connection can be read beside it.
 *
 * One thread, one epoll set, nothing a real receiver would add: accept4 with
 * SOCK_NONBLOCK (no ioctl), edge-triggered registration once per socket (no
 * re-arming), one read per wake-up into one buffer, no framing, no records,
 * no timers. It listens on 127.0.0.1:PORT, prints "ready" on stdout, and once
 * N connections were accepted and N reads returned data, prints "accepted N
 * CPU_SECONDS"; then it waits for its stdin to close, closes every
 * connection itself (as sluice does at shutdown, before its peer), and prints
 * "closed N CPU_SECONDS". CPU seconds are the process's own, user + system.
 *
 *   cc -O2 -o syslog_floor bench/syslog_floor.c
 *   ./syslog_floor 5140 10000 < /some/pipe
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PORT CONNECTIONS\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]), nconn = atoi(argv[2]);
  if (port < 1 || nconn < 1) return 2;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 4096) != 0) {
    perror("syslog_floor: listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  int *fds = calloc((size_t)nconn, sizeof *fds);
  printf("ready\n");
  fflush(stdout);

  static char buf[65536];
  struct epoll_event events[256];
  int accepted = 0, reads = 0;
  while (accepted < nconn || reads < nconn) {
    int k = epoll_wait(ep, events, 256, -1);
    if (k < 0 && errno != EINTR) {
      perror("syslog_floor: epoll_wait");
      return 1;
    }
    for (int i = 0; i < k; i++) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        while (accepted < nconn) {
          int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
          if (c < 0) break;
          fds[accepted++] = c;
          struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        }
      } else if (read(fd, buf, sizeof buf) > 0) {
        reads++;
      }
    }
  }
  printf("accepted %d %.3f\n", nconn, cpu_seconds());
  fflush(stdout);

  for (;;) { /* until stdin closes */
    char c;
    ssize_t r = read(0, &c, 1);
    if (r == 0 || (r < 0 && errno != EINTR)) break;
  }
  double before_close = cpu_seconds();
  for (int i = 0; i < nconn; i++) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
    close(fds[i]);
  }
  printf("closed %d %.3f\n", nconn, cpu_seconds() - before_close);
  free(fds);
  return 0;
}
