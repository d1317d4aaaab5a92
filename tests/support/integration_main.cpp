// Main of every integration test executable. Integration tests need real kernel objects: being uid 0 is not enough
// in every sandbox, so we try to make the namespaces a container needs, and exit 77 (CTest's skip) when we cannot.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace {

bool can_make_namespaces() {
  pid_t child = fork();
  if (child < 0) return false;
  if (child == 0) {
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
    _exit(unshare(flags) == 0 ? 0 : 1);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char* argv[]) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "SKIP: integration tests need root (they make namespaces, mounts and cgroups)\n");
    return 77;
  }
  if (!can_make_namespaces()) {
    std::fprintf(stderr, "SKIP: this sandbox does not let root create namespaces\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
