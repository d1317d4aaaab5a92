// cgroups on the real kernel of this host (v1, hybrid or v2, whatever it is): limits that bite, membership, OOM,
// the eBPF device filter, and removal that leaves nothing. Every child process is bounded in time.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>

#include "core/fs.h"
#include "core/text.h"
#include "engine/cgroup/cgroup.h"
#include "tests/support/lib/test_env.h"

using namespace berth;
using namespace berth::cgroup;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kMiB = 1024 * 1024;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Layout host_layout() {
  auto layout = detect();
  REQUIRE(layout);
  return *layout;
}

// berth/ is shared and stays, like Docker's /docker: make it before a leak snapshot, so the check sees only what a
// test leaves behind. Creating and removing a throwaway cgroup makes it in every hierarchy.
void ensure_shared_parent(const Layout& layout) {
  auto warmup = Cgroup::create(layout, "berth/" + testing::unique_name("berth-warmup-"));
  REQUIRE(warmup);
  REQUIRE(warmup->remove());
}

std::string unique_path() { return "berth/" + testing::unique_name("berth-cgtest-"); }

// A forked child that runs `body` only once released, so it can be put in a cgroup first; its exit status is the
// body's return value. It dies with SIGALRM after `lifetime` whatever happens.
class Child {
 public:
  explicit Child(const std::function<int()>& body, unsigned lifetime_seconds = 20) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(fds[1]);
      ::alarm(lifetime_seconds);
      char byte;
      if (::read(fds[0], &byte, 1) != 1) ::_exit(120);
      ::_exit(body());
    }
    ::close(fds[0]);
    release_fd_ = fds[1];
  }
  ~Child() {
    if (release_fd_ >= 0) ::close(release_fd_);
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void release() {
    REQUIRE(::write(release_fd_, "x", 1) == 1);
    ::close(release_fd_);
    release_fd_ = -1;
  }
  // The wait status, or -1 after SIGKILL when it outlived `timeout`.
  int wait(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    int status = 0;
    while (Clock::now() < deadline) {
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        reaped_ = true;
        return status;
      }
      std::this_thread::sleep_for(2ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int release_fd_ = -1;
  bool reaped_ = false;
};

std::string read_trimmed(const std::string& path) {
  auto content = fs::read_file(path);
  REQUIRE(content);
  return std::string(text::trim(*content));
}

// The lines of /proc/PID/cgroup that name `relative_path`.
int cgroup_lines_naming(pid_t pid, const std::string& relative_path) {
  auto content = fs::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  REQUIRE(content);
  int count = 0;
  for (auto& line : text::split(*content, '\n'))
    if (text::ends_with(line, ":/" + relative_path)) ++count;
  return count;
}

// A v2 view of the host for the eBPF device filter: the host itself on v2, its cgroup2 mount on hybrid.
std::optional<Layout> unified_view(const Layout& host) {
  if (host.mode == Mode::v2) return host;
  if (host.mode == Mode::v1) return std::nullopt;
  Layout unified;
  unified.mode = Mode::v2;
  unified.root = host.unified_mount;
  unified.unified_mount = host.unified_mount;
  unified.controllers = parse_controller_list(read_trimmed(host.unified_mount + "/cgroup.controllers"));
  return unified;
}

void check_no_leaks(const testing::LeakCheck& leaks) {
  auto found = leaks.leaks();
  INFO("left behind: " << (found.empty() ? "" : found.front()));
  CHECK(found.empty());
}

}  // namespace

TEST_CASE("create, apply, attach and remove on this host, with timings") {
  auto layout = host_layout();
  ensure_shared_parent(layout);
  testing::TempStateRoot state;
  testing::LeakCheck leaks(state.path());
  auto path = unique_path();

  auto start = Clock::now();
  auto cgroup = Cgroup::create(layout, path);
  REQUIRE(cgroup);
  double create_ms = milliseconds_since(start);
  CHECK(cgroup->exists());

  Limits limits;
  limits.memory_bytes = 64 * kMiB;
  limits.pids_max = 64;
  limits.cpu_quota_us = 50000;
  limits.cpu_shares = 512;
  start = Clock::now();
  REQUIRE(cgroup->apply(limits));
  double apply_ms = milliseconds_since(start);

  if (layout.mode == Mode::v2) {
    CHECK(read_trimmed(cgroup->directory("") + "/memory.max") == std::to_string(64 * kMiB));
    CHECK(read_trimmed(cgroup->directory("") + "/cpu.max") == "50000 100000");
    CHECK(read_trimmed(cgroup->directory("") + "/cpu.weight") == "20");
  } else {
    CHECK(read_trimmed(cgroup->directory("memory") + "/memory.limit_in_bytes") == std::to_string(64 * kMiB));
    CHECK(read_trimmed(cgroup->directory("cpu") + "/cpu.cfs_quota_us") == "50000");
    CHECK(read_trimmed(cgroup->directory("cpu") + "/cpu.shares") == "512");
  }
  CHECK(read_trimmed(cgroup->directory("pids") + "/pids.max") == "64");
  // Raising and lowering again (an update): the kernel keeps memory <= memory+swap after every single write.
  for (int64_t memory : {512 * kMiB, 16 * kMiB, 64 * kMiB}) {
    Limits memory_only;
    memory_only.memory_bytes = memory;
    INFO("memory limit " << memory);
    REQUIRE(cgroup->apply(memory_only));
    CHECK(cgroup->stats().value().memory_limit_bytes == uint64_t(memory));
  }

  Child child([] {
    ::pause();
    return 0;
  });
  start = Clock::now();
  REQUIRE(cgroup->attach(child.pid()));
  double attach_ms = milliseconds_since(start);
  child.release();

  // Every hierarchy we use names the cgroup (cpu and cpuacct once each, or once together when co-mounted).
  int expected_lines = 0;
  for (const char* controller : {"memory", "cpu", "cpuacct", "pids", "cpuset", "devices", "freezer", "blkio",
                                 "name=systemd"})
    if (layout.v1_mounts.count(controller)) ++expected_lines;
  if (layout.mode != Mode::v1) ++expected_lines;  // the 0:: line
  if (layout.v1_mounts.count("cpu") && layout.v1_mounts.at("cpu") == layout.v1_mounts.at("cpuacct")) --expected_lines;
  CHECK(cgroup_lines_naming(child.pid(), path) == expected_lines);
  auto members = cgroup->processes();
  REQUIRE(members);
  CHECK(*members == std::vector<pid_t>{child.pid()});
  auto stats = cgroup->stats();
  REQUIRE(stats);
  CHECK(stats->pids_current == 1);
  CHECK(stats->memory_limit_bytes == uint64_t(64 * kMiB));

  start = Clock::now();
  REQUIRE(cgroup->remove());
  double remove_ms = milliseconds_since(start);
  int status = child.wait(5s);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK_FALSE(cgroup->exists());

  // A second cgroup shows the steady state (berth/ exists, RCU state warm).
  start = Clock::now();
  auto second = Cgroup::create(layout, unique_path());
  REQUIRE(second);
  double second_create_ms = milliseconds_since(start);
  Child idle([] { return 0; });
  start = Clock::now();
  REQUIRE(second->attach(idle.pid()));
  double second_attach_ms = milliseconds_since(start);
  idle.release();
  CHECK(idle.wait(5s) == 0);
  start = Clock::now();
  REQUIRE(second->remove());
  double second_remove_ms = milliseconds_since(start);

  std::printf("cgroup timings (%s, %zu directories): create %.2f ms, apply %.2f ms, attach %.2f ms, "
              "remove with a live process %.2f ms; again: create %.2f ms, attach %.2f ms, remove empty %.2f ms\n",
              mode_name(layout.mode), cgroup->directories().size(), create_ms, apply_ms, attach_ms, remove_ms,
              second_create_ms, second_attach_ms, second_remove_ms);
  std::fflush(stdout);
  check_no_leaks(leaks);
}

TEST_CASE("pids.max caps a fork bomb") {
  auto layout = host_layout();
  ensure_shared_parent(layout);
  testing::TempStateRoot state;
  testing::LeakCheck leaks(state.path());
  auto cgroup = Cgroup::create(layout, unique_path());
  REQUIRE(cgroup);
  Limits limits;
  limits.pids_max = 16;
  REQUIRE(cgroup->apply(limits));

  // Forks until the kernel says no (at most 200 times); the children sleep until remove() kills them. Exit status:
  // how many forks succeeded, or 250 if none ever failed with EAGAIN.
  Child bomb([] {
    int forked = 0;
    for (int attempt = 0; attempt < 200; ++attempt) {
      pid_t pid = ::fork();
      if (pid == 0) {
        ::alarm(20);
        ::pause();
        ::_exit(0);
      }
      if (pid < 0) return errno == EAGAIN ? forked : 251;
      ++forked;
    }
    return 250;
  });
  REQUIRE(cgroup->attach(bomb.pid()));
  bomb.release();
  int status = bomb.wait(10s);
  REQUIRE(WIFEXITED(status));
  int forked = WEXITSTATUS(status);
  INFO("forks that succeeded: " << forked);
  CHECK(forked < 16);
  CHECK(forked >= 10);
  auto members = cgroup->processes();
  REQUIRE(members);
  CHECK(members->size() == static_cast<size_t>(forked));  // the bomb itself has exited

  auto start = Clock::now();
  REQUIRE(cgroup->remove());
  std::printf("removing %d processes took %.2f ms\n", forked, milliseconds_since(start));
  std::fflush(stdout);
  CHECK_FALSE(cgroup->exists());
  check_no_leaks(leaks);
}

TEST_CASE("a memory hog is OOM-killed and oom_killed() says so") {
  auto layout = host_layout();
  ensure_shared_parent(layout);
  testing::TempStateRoot state;
  testing::LeakCheck leaks(state.path());
  auto cgroup = Cgroup::create(layout, unique_path());
  REQUIRE(cgroup);
  Limits limits;
  limits.memory_bytes = 32 * kMiB;
  REQUIRE(cgroup->apply(limits));
  REQUIRE_FALSE(cgroup->oom_killed().value());

  // Touches 256 MiB a page at a time; exits 0 only if the limit never bit.
  Child hog([] {
    for (int chunk = 0; chunk < 256; ++chunk) {
      void* memory = ::mmap(nullptr, kMiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (memory == MAP_FAILED) return 2;
      std::memset(memory, 0x5a, kMiB);
    }
    return 0;
  });
  REQUIRE(cgroup->attach(hog.pid()));
  hog.release();
  int status = hog.wait(20s);
  REQUIRE(status != -1);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  auto oom = cgroup->oom_killed();
  REQUIRE(oom);
  CHECK(*oom);
  REQUIRE(cgroup->remove());
  check_no_leaks(leaks);
}

TEST_CASE("a cpu quota throttles a busy process") {
  auto layout = host_layout();
  ensure_shared_parent(layout);
  testing::TempStateRoot state;
  testing::LeakCheck leaks(state.path());
  auto cgroup = Cgroup::create(layout, unique_path());
  REQUIRE(cgroup);
  Limits limits;
  limits.cpu_quota_us = 10000;  // 0.1 CPU
  REQUIRE(cgroup->apply(limits));
  Child busy([] {
    auto end = Clock::now() + 300ms;
    while (Clock::now() < end) {
    }
    return 0;
  });
  REQUIRE(cgroup->attach(busy.pid()));
  busy.release();
  REQUIRE(busy.wait(10s) == 0);
  auto cpu_stat = fs::read_file(cgroup->directory("cpu") + "/cpu.stat");
  REQUIRE(cpu_stat);
  INFO(*cpu_stat);
  CHECK(cpu_stat->find("nr_throttled 0\n") == std::string::npos);
  auto stats = cgroup->stats();
  REQUIRE(stats);
  CHECK(stats->cpu_usage_ns > 0);
  CHECK(stats->cpu_usage_ns < 150'000'000);  // 300 ms at 0.1 CPU is ~30 ms, far from 300 ms
  REQUIRE(cgroup->remove());
  check_no_leaks(leaks);
}

TEST_CASE("the eBPF device filter on a cgroup2 hierarchy allows and denies device nodes") {
  auto host = host_layout();
  auto layout = unified_view(host);
  if (!layout) {
    WARN("no cgroup2 hierarchy on this host: the eBPF device filter is not exercised");
    return;
  }
  ensure_shared_parent(host);
  ensure_shared_parent(*layout);
  testing::TempStateRoot state;
  testing::LeakCheck leaks(state.path());
  auto nodes = state.path() + "/dev";
  REQUIRE(fs::make_directories(nodes));
  REQUIRE(::mknod((nodes + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
  REQUIRE(::mknod((nodes + "/full").c_str(), S_IFCHR | 0666, makedev(1, 7)) == 0);

  auto cgroup = Cgroup::create(*layout, unique_path());
  REQUIRE(cgroup);
  // Like a container: nothing but /dev/null, and any char device may be created.
  auto start = Clock::now();
  REQUIRE(cgroup->apply_device_rules({{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', -1, -1, "m"}}));
  std::printf("eBPF device filter load+attach: %.2f ms\n", milliseconds_since(start));
  std::fflush(stdout);

  // Each check is one bit of the exit status, so a failure says which.
  auto try_open = [nodes](const char* name, int flags) {
    int fd = ::open((nodes + "/" + name).c_str(), flags | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
    return fd >= 0 ? 0 : errno;
  };
  Child first([&] {
    int failures = 0;
    if (try_open("null", O_RDWR) != 0) failures |= 1;
    if (try_open("full", O_RDONLY) != EPERM) failures |= 2;
    if (::mknod((nodes + "/zero").c_str(), S_IFCHR | 0666, makedev(1, 5)) != 0) failures |= 4;
    if (try_open("zero", O_RDONLY) != EPERM) failures |= 8;
    return failures;
  });
  REQUIRE(cgroup->attach(first.pid()));
  first.release();
  CHECK(first.wait(10s) == 0);

  // Replacing the rules must not stack filters: with both, /dev/full would stay denied.
  REQUIRE(cgroup->apply_device_rules({{true, 'a', -1, -1, "rwm"}, {false, 'c', 1, 3, "w"}}));
  Child second([&] {
    int failures = 0;
    if (try_open("null", O_RDONLY) != 0) failures |= 1;
    if (try_open("null", O_WRONLY) != EPERM) failures |= 2;
    if (try_open("full", O_RDWR) != 0) failures |= 4;
    return failures;
  });
  REQUIRE(cgroup->attach(second.pid()));
  second.release();
  CHECK(second.wait(10s) == 0);
  REQUIRE(cgroup->remove());
  check_no_leaks(leaks);
}

TEST_CASE("clone3(CLONE_INTO_CGROUP) with open_directory() starts a child inside the cgroup") {
  auto host = host_layout();
  auto layout = unified_view(host);
  if (!layout) {
    WARN("no cgroup2 hierarchy on this host: CLONE_INTO_CGROUP is not exercised");
    return;
  }
  ensure_shared_parent(*layout);
  testing::TempStateRoot state;
  testing::LeakCheck leaks(state.path());
  auto path = unique_path();
  auto cgroup = Cgroup::create(*layout, path);
  REQUIRE(cgroup);
  auto directory = cgroup->open_directory();
  REQUIRE(directory);

  clone_args arguments{};
  arguments.flags = CLONE_INTO_CGROUP;
  arguments.exit_signal = SIGCHLD;
  arguments.cgroup = static_cast<uint64_t>(directory->get());
  long pid = ::syscall(SYS_clone3, &arguments, sizeof arguments);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Born inside: the unified line of /proc/self/cgroup names the cgroup before we did anything.
    auto content = fs::read_file("/proc/self/cgroup");
    bool inside = content && content->find("0::/" + path + "\n") != std::string::npos;
    ::_exit(inside ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(static_cast<pid_t>(pid), &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE(cgroup->remove());
  check_no_leaks(leaks);
}

TEST_CASE("fast join: clone3 into the unified directory plus join_self in the child, versus attach") {
  auto layout = host_layout();
  ensure_shared_parent(layout);
  testing::TempStateRoot state;
  testing::LeakCheck leaks(state.path());
  auto path = unique_path();
  auto cgroup = Cgroup::create(layout, path);
  REQUIRE(cgroup);
  auto plan = cgroup->self_join_plan();
  auto unified = cgroup->open_unified_directory();
  REQUIRE(unified);

  // Idle long enough for the kernel's lock to need a fresh grace period, as for the first container of a command.
  std::this_thread::sleep_for(100ms);
  int report[2];
  REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
  clone_args arguments{};
  arguments.exit_signal = SIGCHLD;
  if (unified->valid()) {
    arguments.flags = CLONE_INTO_CGROUP;
    arguments.cgroup = static_cast<uint64_t>(unified->get());
  }
  auto start = Clock::now();
  long pid = ::syscall(SYS_clone3, &arguments, sizeof arguments);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int error = join_self(plan);
    (void)!::write(report[1], &error, sizeof error);
    ::alarm(20);
    ::pause();
    ::_exit(0);
  }
  ::close(report[1]);
  int child_error = -1;
  REQUIRE(::read(report[0], &child_error, sizeof child_error) == sizeof child_error);
  double fast_ms = milliseconds_since(start);
  ::close(report[0]);
  CHECK(child_error == 0);
  int lines = cgroup_lines_naming(static_cast<pid_t>(pid), path);
  CHECK(lines == static_cast<int>(cgroup->directories().size()) +
                     (layout.v1_mounts.count("cpu") && layout.v1_mounts.at("cpu") == layout.v1_mounts.at("cpuacct")));
  CHECK(cgroup->processes().value() == std::vector<pid_t>{static_cast<pid_t>(pid)});

  std::this_thread::sleep_for(100ms);
  Child other([] {
    ::pause();
    return 0;
  });
  start = Clock::now();
  REQUIRE(cgroup->attach(other.pid()));
  double attach_ms = milliseconds_since(start);
  other.release();

  REQUIRE(cgroup->remove());
  int status = 0;
  REQUIRE(::waitpid(static_cast<pid_t>(pid), &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(other.wait(5s) != -1);
  std::printf("joining a new process (%s): clone3 + join_self %.2f ms (including the child's start), "
              "attach(pid) %.2f ms\n",
              mode_name(layout.mode), fast_ms, attach_ms);
  std::fflush(stdout);
  check_no_leaks(leaks);
}

TEST_CASE("v1 without cgroup.kill: signal_all reaches every process, remove freezes, kills and thaws") {
  auto host = host_layout();
  if (host.mode == Mode::v2) {
    WARN("no v1 hierarchies on this host: the freezer path is not exercised");
    return;
  }
  // The host's v1 hierarchies alone, as on a legacy host: no unified directory, so no cgroup.kill.
  Layout layout = host;
  layout.mode = Mode::v1;
  layout.unified_mount.clear();
  ensure_shared_parent(layout);
  testing::TempStateRoot state;
  testing::LeakCheck leaks(state.path());
  auto cgroup = Cgroup::create(layout, unique_path());
  REQUIRE(cgroup);
  CHECK(cgroup->directory("").empty());

  // A parent with four children, all ignoring SIGTERM; SIGUSR1 (default action: terminate) is what we send first.
  Child tree([] {
    ::signal(SIGTERM, SIG_IGN);
    for (int i = 0; i < 4; ++i)
      if (::fork() == 0) {
        ::alarm(20);
        for (;;) ::pause();
      }
    for (;;) ::pause();
    return 0;
  });
  REQUIRE(cgroup->attach(tree.pid()));
  tree.release();
  REQUIRE(testing::wait_until([&] { return cgroup->processes().value().size() == 5; }, 5s));
  REQUIRE(cgroup->signal_all(SIGTERM));
  std::this_thread::sleep_for(50ms);
  CHECK(cgroup->processes().value().size() == 5);  // ignored everywhere
  REQUIRE(cgroup->signal_all(SIGUSR1));
  CHECK(testing::wait_until([&] { return cgroup->processes().value().empty(); }, 5s));
  int status = tree.wait(5s);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGUSR1);

  Child second([] {
    ::signal(SIGTERM, SIG_IGN);
    for (int i = 0; i < 4; ++i)
      if (::fork() == 0) {
        ::alarm(20);
        for (;;) ::pause();
      }
    for (;;) ::pause();
    return 0;
  });
  REQUIRE(cgroup->attach(second.pid()));
  second.release();
  REQUIRE(testing::wait_until([&] { return cgroup->processes().value().size() == 5; }, 5s));
  auto start = Clock::now();
  REQUIRE(cgroup->remove());
  std::printf("v1 remove (freeze, kill, thaw) of 5 processes: %.2f ms\n", milliseconds_since(start));
  std::fflush(stdout);
  CHECK(WTERMSIG(second.wait(5s)) == SIGKILL);
  CHECK_FALSE(cgroup->exists());
  CHECK(read_trimmed(host.v1_mounts.at("freezer") + "/berth/cgroup.procs").empty());
  check_no_leaks(leaks);
}

TEST_CASE("remove finds and kills processes in cgroups nested inside the container's, and removes those too") {
  auto host = host_layout();
  ensure_shared_parent(host);
  testing::TempStateRoot state;
  testing::LeakCheck leaks(state.path());
  // On a hybrid host, also as a legacy v1 host would (no cgroup.kill: the freezer path has to find them).
  std::vector<Layout> layouts = {host};
  if (host.mode == Mode::hybrid) {
    Layout legacy = host;
    legacy.mode = Mode::v1;
    legacy.unified_mount.clear();
    layouts.push_back(legacy);
  }
  for (const auto& layout : layouts) {
    INFO("mode " << mode_name(layout.mode));
    auto cgroup = Cgroup::create(layout, unique_path());
    REQUIRE(cgroup);
    Child child([] {
      ::pause();
      return 0;
    });
    REQUIRE(cgroup->attach(child.pid()));
    child.release();
    // What systemd inside a container does: a cgroup of its own below ours, in every hierarchy, and move there.
    for (const auto& dir : cgroup->directories()) {
      auto inner = dir + "/inner.scope";
      REQUIRE(::mkdir(inner.c_str(), 0755) == 0);
      if (text::starts_with(dir, host.v1_mounts.count("cpuset") ? host.v1_mounts.at("cpuset") : "/nonexistent")) {
        for (const char* file : {"cpuset.cpus", "cpuset.mems"})
          REQUIRE(fs::write_file(inner + "/" + file, read_trimmed(dir + "/" + file)));
      }
      REQUIRE(fs::write_file(inner + "/cgroup.procs", std::to_string(child.pid())));
    }
    CHECK(cgroup->processes().value() == std::vector<pid_t>{child.pid()});
    REQUIRE(cgroup->remove());
    CHECK(WTERMSIG(child.wait(5s)) == SIGKILL);
    CHECK_FALSE(cgroup->exists());
  }
  check_no_leaks(leaks);
}

TEST_CASE("remove of a cgroup that was never created succeeds") {
  auto layout = host_layout();
  auto never = Cgroup::open(layout, unique_path());
  CHECK_FALSE(never.exists());
  REQUIRE(never.remove());
  auto processes = never.processes();
  REQUIRE(processes);
  CHECK(processes->empty());
}
