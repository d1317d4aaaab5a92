// berth-init: the minimal init that `run --init` puts at PID 1 (bind-mounted read-only at /sbin/berth-init). A
// process that was not written to be PID 1 neither reaps orphans nor dies of SIGTERM (the kernel ignores signals
// without a handler for PID 1); this init runs it as a child, forwards every catchable signal to it, reaps all
// zombies, and exits with the child's status (128+N for a signal death). Statically linked: it runs inside images
// that have no libc at all.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    fprintf(stderr, "berth-init: usage: berth-init [--] COMMAND [ARG...]\n");
    return 2;
  }
  sigset_t all, previous;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &previous);

  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    // Its own process group, and the terminal's foreground group when there is one, so Ctrl-C reaches it.
    setpgid(0, 0);
    if (isatty(STDIN_FILENO)) {
      signal(SIGTTOU, SIG_IGN);
      tcsetpgrp(STDIN_FILENO, getpgrp());
      signal(SIGTTOU, SIG_DFL);
    }
    execvp(argv[first], argv + first);
    int error = errno;
    fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], strerror(error));
    _exit(error == ENOENT ? 127 : 126);
  }

  for (;;) {
    siginfo_t info;
    int signal_number = sigwaitinfo(&all, &info);
    if (signal_number < 0) continue;
    if (signal_number != SIGCHLD) {
      kill(child, signal_number);
      continue;
    }
    for (;;) {
      int status = 0;
      pid_t reaped = waitpid(-1, &status, WNOHANG);
      if (reaped <= 0) break;
      if (reaped == child) {
        if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
      }
    }
  }
}
