/* Load generator for the syslog input benchmark: opens N TCP connections to
 * HOST:PORT and sends TOTAL octet-counted RFC 5424 messages of about 200
 * bytes (RFC 6587 "LEN SP MSG"), spread evenly over the connections, as fast
 * as the receiver takes them. Each message carries a unique sequence number in
 * its structured data. Non-blocking sockets and poll(2): one thread keeps all
 * connections busy, so the receiver, not the generator, is the bottleneck.
 * Prints the messages sent, bytes and seconds on stdout.
 *
 *   cc -O2 -o syslog_load bench/syslog_load.c
 *   ./syslog_load 127.0.0.1 5140 100 1000000
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)
#define MSG_TARGET 200

struct conn {
  int fd;
  long long next_seq, end_seq; /* messages [next_seq, end_seq) still to queue */
  char buf[BUF_SIZE];
  size_t len, off; /* queued bytes in buf, bytes of them already sent */
};

/* Appends one framed message; returns its length or 0 if it doesn't fit. */
static size_t frame(char *out, size_t room, long long seq) {
  char msg[512];
  int n = snprintf(msg, sizeof msg,
                   "<134>1 2026-11-21T10:00:00.%06lldZ web-01.example.com shop 4711 ORDER "
                   "[req@32473 id=\"%lld\" user=\"alice\" path=\"/cart/checkout\"] order %lld placed: ",
                   seq % 1000000, seq, seq);
  while (n < MSG_TARGET) msg[n++] = 'x'; /* pad the message text to ~200 bytes */
  char head[16];
  int h = snprintf(head, sizeof head, "%d ", n);
  if ((size_t)(h + n) > room) return 0;
  memcpy(out, head, (size_t)h);
  memcpy(out + h, msg, (size_t)n);
  return (size_t)(h + n);
}

static void refill(struct conn *c) {
  c->len = c->off = 0;
  while (c->next_seq < c->end_seq) {
    size_t n = frame(c->buf + c->len, BUF_SIZE - c->len, c->next_seq);
    if (n == 0) break;
    c->len += n;
    c->next_seq++;
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s HOST PORT CONNECTIONS TOTAL_MESSAGES\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]), nconn = atoi(argv[3]);
  long long total = atoll(argv[4]);
  if (nconn < 1 || total < 1 || port < 1) return 2;
  struct conn *conns = calloc((size_t)nconn, sizeof *conns);
  struct pollfd *pfds = calloc((size_t)nconn, sizeof *pfds);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "syslog_load: bad IPv4 address %s\n", host);
    return 2;
  }
  long long per = total / nconn, extra = total % nconn, seq = 0;
  for (int i = 0; i < nconn; i++) {
    struct conn *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
      fprintf(stderr, "syslog_load: connect %s:%d: %s\n", host, port, strerror(errno));
      return 1;
    }
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    c->next_seq = seq;
    seq += per + (i < extra ? 1 : 0);
    c->end_seq = seq;
    refill(c);
  }
  double t0 = now_s();
  long long bytes = 0;
  int open = nconn;
  while (open > 0) {
    int n = 0;
    for (int i = 0; i < nconn; i++) {
      if (conns[i].fd < 0) continue;
      pfds[n].fd = conns[i].fd;
      pfds[n].events = POLLOUT;
      n++;
    }
    if (poll(pfds, (nfds_t)n, 10000) <= 0) {
      fprintf(stderr, "syslog_load: receiver stopped reading for 10 s\n");
      return 1;
    }
    for (int i = 0; i < nconn; i++) {
      struct conn *c = &conns[i];
      if (c->fd < 0) continue;
      ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        fprintf(stderr, "syslog_load: send: %s\n", strerror(errno));
        return 1;
      }
      bytes += w;
      c->off += (size_t)w;
      if (c->off < c->len) continue;
      refill(c);
      if (c->len == 0) {
        close(c->fd);
        c->fd = -1;
        open--;
      }
    }
  }
  double dt = now_s() - t0;
  printf("sent %lld messages, %lld bytes, over %d connections in %.3f s (%.0f msg/s)\n", total, bytes, nconn, dt,
         (double)total / dt);
  free(conns);
  free(pfds);
  return 0;
}
