// Runs a command and reports its CPU time and peak RSS, for bench/run_bench.py.
//
// Why not wait4() from Python directly: at exec, Linux folds the exec'ing
// process's RSS high-water mark into the new program's ru_maxrss, so a child
// forked from Python (~15 MB) reports at least Python's peak. Forked from this
// small program, the command's ru_maxrss is its own VmHWM (VmHWM is also what
// Fluent Bit's figures used).
//
// Usage: spawn_rusage RESULT_FILE COMMAND [ARGS...]
// Writes "exit_code user_us sys_us maxrss_kib\n" to RESULT_FILE once COMMAND
// ends (exit_code is 128+N if it was killed by signal N) and exits with
// exit_code. SIGTERM and SIGINT are passed on to COMMAND; COMMAND gets SIGKILL
// if this program dies.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child = -1;

static void forward(int sig) {
  if (child > 0) kill(child, sig);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s RESULT_FILE COMMAND [ARGS...]\n", argv[0]);
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    perror("spawn_rusage: fork");
    return 2;
  }
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    execvp(argv[2], argv + 2);
    perror("spawn_rusage: exec");
    _exit(127);
  }
  child = pid;

  int status = 0;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {  // EINTR: a signal was forwarded; keep waiting
      perror("spawn_rusage: wait4");
      return 2;
    }
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE* out = fopen(argv[1], "w");
  if (out == NULL) {
    perror("spawn_rusage: result file");
    return 2;
  }
  fprintf(out, "%d %lld %lld %ld\n", code,
          (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
          (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss);
  fclose(out);
  return code;
}
