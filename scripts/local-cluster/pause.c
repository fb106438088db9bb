/*
 * The pod sandbox's pause process, for the local cluster's pause image
 * (scripts/local-cluster-up.sh compiles it with gcc -static): it holds the
 * pod's namespaces, reaps any zombie handed to it, and exits on SIGINT or
 * SIGTERM. What registry.k8s.io/pause does, without a registry.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = stop;
  sigaction(SIGINT, &sa, 0);
  sigaction(SIGTERM, &sa, 0);
  sa.sa_handler = reap;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, 0);
  for (;;) pause();
  return 0;
}
