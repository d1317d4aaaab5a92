// The embedded OCI runtime against the real kernel: busybox bundles with Docker-like configs.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/fs.h"
#include "core/process.h"
#include "core/text.h"
#include "engine/runtime/runtime.h"
#include "tests/support/lib/test_env.h"

using berth::testing::LeakCheck;
using berth::testing::TempStateRoot;
using Json = nlohmann::json;
namespace rt = berth::runtime;

namespace {

constexpr auto kTimeout = std::chrono::seconds(20);

Json docker_like_config(const std::vector<std::string>& args) {
  Json caps = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",  "CAP_FOWNER",           "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",  "CAP_SETFCAP",          "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  return Json{
      {"ociVersion", "1.0.2"},
      {"root", {{"path", "rootfs"}, {"readonly", false}}},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", false}}},
      {"hostname", "berthbox"},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}, {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"},
         {"type", "devpts"},
         {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"}, {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/sys/fs/cgroup"},
         {"type", "cgroup"},
         {"source", "cgroup"},
         {"options", {"ro", "nosuid", "noexec", "nodev"}}},
        {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"}, {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}}}}},
      {"linux",
       {{"namespaces", {{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}}},
        {"resources",
         {{"memory", {{"limit", 67108864}}},
          {"devices",
           {{{"allow", false}, {"access", "rwm"}},
            {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rwm"}},
            {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 5}, {"access", "rwm"}},
            {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 8}, {"access", "rwm"}},
            {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 9}, {"access", "rwm"}},
            {{"allow", true}, {"type", "c"}, {"major", 5}, {"minor", 0}, {"access", "rwm"}},
            {{"allow", true}, {"type", "c"}, {"major", 136}, {"access", "rwm"}},
            {{"allow", true}, {"type", "c"}, {"major", 5}, {"minor", 2}, {"access", "rwm"}}}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
          "/sys/devices/virtual/powercap"}},
        {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
        {"seccomp",
         {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
          {"syscalls",
           {{{"names", {"mount", "umount2", "unshare", "setns"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}}}}}};
}

// A bundle with a fresh busybox rootfs under a private state root; the runtime's state lives there too.
class Bundle {
 public:
  Bundle() : leaks_(root_.path()) {
    bundle_ = root_.path() + "/bundle";
    REQUIRE(berth::fs::make_directories(bundle_ + "/rootfs"));
    auto extracted = berth::testing::run_command(
        {"/bin/tar", "-C", bundle_ + "/rootfs", "-xf", berth::testing::busybox_rootfs_tarball()});
    REQUIRE(extracted.exit_code == 0);
    config_ = docker_like_config({"true"});
    state_dir_ = root_.path() + "/run/runtime";
  }
  ~Bundle() = default;

  Json& config() { return config_; }
  const std::string& path() const { return bundle_; }
  std::string rootfs() const { return bundle_ + "/rootfs"; }
  const std::string& state_dir() const { return state_dir_; }
  const std::string& root() const { return root_.path(); }
  void write_config() { REQUIRE(berth::fs::write_file_atomic(bundle_ + "/config.json", config_.dump())); }
  std::vector<std::string> leaks() const { return leaks_.leaks(); }

 private:
  TempStateRoot root_;
  LeakCheck leaks_;
  std::string bundle_;
  std::string state_dir_;
  Json config_;
};

struct Outcome {
  bool started = false;
  std::string error;
  int error_number = 0;
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct Pipe {
  berth::UniqueFd read, write;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

// Collects `fds` until `pidfd` exits (SIGKILL after the time limit), then reaps `pid`.
int collect_until_exit(pid_t pid, int pidfd, std::vector<std::pair<int, std::string*>> fds) {
  auto deadline = std::chrono::steady_clock::now() + kTimeout;
  bool exited = false;
  while (true) {
    std::vector<pollfd> entries{{pidfd, POLLIN, 0}};
    for (auto& [fd, sink] : fds) entries.push_back({fd, POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    }
    int ready = ::poll(entries.data(), entries.size(), exited ? 0 : static_cast<int>(std::max<int64_t>(left.count(), 1)));
    if (ready < 0 && errno == EINTR) continue;
    bool any_data = false;
    for (size_t i = 1; i < entries.size(); ++i)
      if (entries[i].revents & (POLLIN | POLLHUP)) {
        char buffer[4096];
        ssize_t n = ::read(entries[i].fd, buffer, sizeof buffer);
        if (n > 0) {
          fds[i - 1].second->append(buffer, static_cast<size_t>(n));
          any_data = true;
        }
      }
    if (entries[0].revents & POLLIN) exited = true;
    if (exited && !any_data) break;
  }
  auto status = berth::wait_for_child(pid);
  return status ? berth::exit_code_from_wait_status(*status) : -1;
}

// Runs the bundle's config in-process with Runtime::run, collects its output and exit code, deletes it.
Outcome run_bundle(Bundle& bundle, const std::string& input = "") {
  bundle.write_config();
  rt::Runtime runtime(bundle.state_dir());
  Pipe in, out, err;
  rt::CreateOptions options;
  options.bundle = bundle.path();
  options.id = berth::testing::unique_name("rt-");
  options.stdin_fd = in.read.get();
  options.stdout_fd = out.write.get();
  options.stderr_fd = err.write.get();
  Outcome outcome;
  auto created = runtime.run(options);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  if (!created) {
    outcome.error = created.error().message();
    outcome.error_number = created.error().errno_value();
    return outcome;
  }
  outcome.started = true;
  if (!input.empty()) (void)!::write(in.write.get(), input.data(), input.size());
  in.write.reset();
  outcome.exit_code = collect_until_exit(created->init.pid, created->pidfd.get(),
                                         {{out.read.get(), &outcome.out}, {err.read.get(), &outcome.err}});
  auto removed = runtime.remove(options.id, true);
  INFO((removed ? std::string() : removed.error().message()));
  CHECK(removed.has_value());
  return outcome;
}

Outcome run_shell(Bundle& bundle, const std::string& script) {
  bundle.config()["process"]["args"] = {"sh", "-c", script};
  return run_bundle(bundle);
}

void require_clean(const Bundle& bundle) {
  auto leaks = bundle.leaks();
  for (auto& leak : leaks) UNSCOPED_INFO(leak);
  CHECK(leaks.empty());
}

// Deletes a container (killing it first) and reaps its init when a test leaves early on a failed REQUIRE, so a
// failure never leaves a blocked or sleeping init behind. Harmless after a normal delete.
class ContainerCleanup {
 public:
  explicit ContainerCleanup(std::function<void()> cleanup) : cleanup_(std::move(cleanup)) {}
  ~ContainerCleanup() { cleanup_(); }

 private:
  std::function<void()> cleanup_;
};

ContainerCleanup delete_on_exit(rt::Runtime& runtime, const std::string& id, pid_t init) {
  return ContainerCleanup([&runtime, id, init] {
    (void)runtime.remove(id, true);
    int status;
    (void)::waitpid(init, &status, 0);
  });
}

std::string trimmed(const std::string& text) { return std::string(berth::text::trim(text)); }

}  // namespace

TEST_CASE("the user's program is PID 1 with its own hostname and sees no host process", "[runtime]") {
  Bundle bundle;
  {
    auto outcome = run_shell(bundle, "echo pid=$$; hostname; ps -o pid= | wc -l; cat /proc/1/cmdline | tr '\\0' ' '");
    INFO(outcome.error << outcome.err);
    REQUIRE(outcome.started);
    CHECK(outcome.exit_code == 0);
    auto lines = berth::text::split(outcome.out, '\n');
    REQUIRE(lines.size() >= 4);
    CHECK(lines[0] == "pid=1");
    CHECK(lines[1] == "berthbox");
    CHECK(std::stoi(trimmed(lines[2])) <= 3);  // sh, ps, wc at most
    CHECK(berth::text::starts_with(lines[3], "sh -c"));
  }
  require_clean(bundle);
}

TEST_CASE("exit codes come back through the wait status", "[runtime]") {
  Bundle bundle;
  CHECK(run_shell(bundle, "exit 3").exit_code == 3);
  // PID 1 cannot be SIGKILLed from inside its own namespace: the runtime does it from outside.
  {
    bundle.config()["process"]["args"] = {"sleep", "30"};
    bundle.write_config();
    rt::Runtime runtime(bundle.state_dir());
    rt::CreateOptions options;
    options.bundle = bundle.path();
    options.id = berth::testing::unique_name("rt-kill-");
    auto created = runtime.run(options);
    INFO((created ? std::string() : created.error().message()));
    REQUIRE(created);
    auto cleanup = delete_on_exit(runtime, options.id, created->init.pid);
    REQUIRE(runtime.kill(options.id, SIGKILL, true).has_value());
    auto status = berth::wait_for_child(created->init.pid);
    REQUIRE(status);
    CHECK(berth::exit_code_from_wait_status(*status) == 137);
    REQUIRE(runtime.remove(options.id, false).has_value());
  }
  require_clean(bundle);
}

TEST_CASE("Docker's default confinement holds", "[runtime]") {
  Bundle bundle;
  SECTION("capabilities are exactly Docker's 14") {
    auto outcome = run_shell(bundle, "grep CapEff /proc/self/status; grep CapBnd /proc/self/status");
    INFO(outcome.error << outcome.err);
    CHECK(outcome.out.find("CapEff:\t00000000a80425fb") != std::string::npos);
    CHECK(outcome.out.find("CapBnd:\t00000000a80425fb") != std::string::npos);
  }
  SECTION("seccomp blocks mount and unshare") {
    auto outcome = run_shell(bundle, "mount -t tmpfs none /mnt && echo mounted; unshare -m true && echo unshared; echo done");
    INFO(outcome.error << outcome.err);
    CHECK(outcome.out.find("mounted") == std::string::npos);
    CHECK(outcome.out.find("unshared") == std::string::npos);
    CHECK(outcome.out.find("done") != std::string::npos);
    CHECK(outcome.err.find("Operation not permitted") != std::string::npos);
  }
  SECTION("masked and read-only paths") {
    // This kernel may lack /proc/kcore and /proc/sysrq-trigger (as the CI's does); /proc/keys and /proc/sys exist
    // everywhere.
    bool has_kcore = berth::fs::exists("/proc/kcore");
    bool has_sysrq = berth::fs::exists("/proc/sysrq-trigger");
    auto outcome = run_shell(bundle,
                             "echo h > /proc/sysrq-trigger && echo wrote; stat -c 'keys %t:%T' /proc/keys; "
                             "stat -c 'kcore %t:%T' /proc/kcore; cat /proc/keys | wc -c; "
                             "echo 1 > /proc/sys/kernel/domainname && echo sys");
    INFO(outcome.error << outcome.err);
    CHECK(outcome.out.find("wrote") == std::string::npos);
    CHECK(outcome.out.find("\nsys") == std::string::npos);
    CHECK(outcome.out.find("keys 1:3") != std::string::npos);
    if (has_kcore) CHECK(outcome.out.find("kcore 1:3") != std::string::npos);
    if (has_sysrq) CHECK(outcome.err.find("can't create /proc/sysrq-trigger: Read-only") != std::string::npos);
    CHECK(outcome.err.find("can't create /proc/sys/kernel/domainname: Read-only file system") != std::string::npos);
  }
  SECTION("with no_new_privileges the filter is installed last and still holds") {
    bundle.config()["process"]["noNewPrivileges"] = true;
    auto outcome = run_shell(bundle, "grep NoNewPrivs /proc/self/status; grep Seccomp: /proc/self/status; "
                                     "mount -t tmpfs none /mnt && echo mounted; echo done");
    INFO(outcome.error << outcome.err);
    CHECK(outcome.out.find("NoNewPrivs:\t1") != std::string::npos);
    CHECK(outcome.out.find("Seccomp:\t2") != std::string::npos);
    CHECK(outcome.out.find("mounted") == std::string::npos);
    CHECK(outcome.out.find("done") != std::string::npos);
    CHECK(berth::fs::list_directory(bundle.state_dir() + "/.seccomp-cache").value_or(std::vector<std::string>{}).size() == 1);
  }
  SECTION("sysctls are set inside the container's namespaces") {
    bundle.config()["linux"]["sysctl"] = {{"net.ipv4.ip_unprivileged_port_start", "0"}, {"kernel.domainname", "example"}};
    auto outcome = run_shell(bundle, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/domainname");
    INFO(outcome.error << outcome.err);
    CHECK(outcome.out == "0\nexample\n");
    CHECK(berth::fs::read_file("/proc/sys/kernel/domainname").value_or("") != "example\n");
  }
  SECTION("a private network namespace has only lo, up") {
    auto outcome = run_shell(bundle, "ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags");
    INFO(outcome.error << outcome.err);
    auto lines = berth::text::split(trimmed(outcome.out), '\n');
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "lo");
    CHECK((std::stoul(lines[2], nullptr, 16) & 1) == 1);  // IFF_UP
  }
  SECTION("the device nodes and /dev/null are real") {
    auto outcome = run_shell(bundle, "stat -c '%n %t:%T' /dev/null /dev/zero /dev/urandom /dev/tty; "
                                     "echo x > /dev/null && echo ok; readlink /dev/ptmx; readlink /dev/fd");
    INFO(outcome.error << outcome.err);
    CHECK(outcome.out.find("/dev/null 1:3") != std::string::npos);
    CHECK(outcome.out.find("/dev/tty 5:0") != std::string::npos);
    CHECK(outcome.out.find("ok") != std::string::npos);
    CHECK(outcome.out.find("pts/ptmx") != std::string::npos);
  }
  require_clean(bundle);
}

TEST_CASE("user, read-only root and rlimits from the spec", "[runtime]") {
  Bundle bundle;
  SECTION("uid 1000") {
    bundle.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {100}}};
    auto outcome = run_shell(bundle, "id -u; id -g; id -G; grep CapEff /proc/self/status");
    INFO(outcome.error << outcome.err);
    auto lines = berth::text::split(outcome.out, '\n');
    REQUIRE(lines.size() >= 4);
    CHECK(lines[0] == "1000");
    CHECK(lines[1] == "1000");
    CHECK(lines[2] == "1000 100");
  }
  SECTION("read-only root") {
    bundle.config()["root"]["readonly"] = true;
    auto outcome = run_shell(bundle, "touch /file && echo wrote; touch /dev/shm/x && echo shm; ulimit -n");
    INFO(outcome.error << outcome.err);
    CHECK(outcome.out.find("wrote") == std::string::npos);
    CHECK(outcome.out.find("shm") != std::string::npos);
    CHECK(outcome.out.find("1024") != std::string::npos);
    CHECK(outcome.err.find("Read-only file system") != std::string::npos);
  }
  require_clean(bundle);
}

TEST_CASE("start-up errors come back with errno and context", "[runtime]") {
  Bundle bundle;
  SECTION("a missing program") {
    bundle.config()["process"]["args"] = {"nosuch"};
    auto outcome = run_bundle(bundle);
    CHECK_FALSE(outcome.started);
    CHECK(outcome.error_number == ENOENT);
    CHECK(outcome.error.find("exec: \"nosuch\": executable file not found in $PATH") != std::string::npos);
  }
  SECTION("a program that is not executable") {
    bundle.config()["process"]["args"] = {"/etc/passwd"};
    auto outcome = run_bundle(bundle);
    CHECK_FALSE(outcome.started);
    CHECK(outcome.error_number == EACCES);
  }
  SECTION("a mount that fails") {
    bundle.config()["mounts"].push_back({{"destination", "/bogus"}, {"type", "nosuchfs"}, {"source", "none"}});
    auto outcome = run_bundle(bundle);
    CHECK_FALSE(outcome.started);
    CHECK(outcome.error.find("mount nosuchfs on /bogus") != std::string::npos);
    CHECK(outcome.error_number == ENODEV);
  }
  require_clean(bundle);
}

TEST_CASE("a terminal gives the program a controlling tty", "[runtime]") {
  Bundle bundle;
  {
    bundle.config()["process"]["terminal"] = true;
    bundle.config()["process"]["args"] = {"sh", "-c", "tty; echo done"};
    bundle.write_config();
    rt::Runtime runtime(bundle.state_dir());
    rt::CreateOptions options;
    options.bundle = bundle.path();
    options.id = berth::testing::unique_name("rt-tty-");
    options.return_console = true;
    auto created = runtime.run(options);
    INFO((created ? std::string() : created.error().message()));
    REQUIRE(created);
    auto cleanup = delete_on_exit(runtime, options.id, created->init.pid);
    REQUIRE(created->console_master);
    std::string out;
    int code = collect_until_exit(created->init.pid, created->pidfd.get(), {{created->console_master.get(), &out}});
    CHECK(code == 0);
    CHECK((out.find("/dev/console") != std::string::npos || out.find("/dev/pts/0") != std::string::npos));
    CHECK(out.find("done") != std::string::npos);
    REQUIRE(runtime.remove(options.id, true).has_value());
  }
  require_clean(bundle);
}

TEST_CASE("exec joins a running container", "[runtime]") {
  Bundle bundle;
  {
    bundle.config()["process"]["args"] = {"sleep", "30"};
    bundle.write_config();
    rt::Runtime runtime(bundle.state_dir());
    rt::CreateOptions options;
    options.bundle = bundle.path();
    options.id = berth::testing::unique_name("rt-exec-");
    auto created = runtime.run(options);
    INFO((created ? std::string() : created.error().message()));
    REQUIRE(created);
    auto cleanup = delete_on_exit(runtime, options.id, created->init.pid);
    auto state = runtime.state(options.id);
    REQUIRE(state);
    CHECK(state->status == rt::Status::running);

    Pipe out;
    rt::ExecOptions exec;
    exec.process_json = R"({"args": ["sh", "-c", "hostname; echo $$; cat /proc/1/cmdline; grep CapEff /proc/self/status; mount -t tmpfs none /mnt || echo denied"], "cwd": "/tmp"})";
    exec.stdout_fd = out.write.get();
    exec.stderr_fd = out.write.get();
    auto executed = runtime.exec(options.id, exec);
    out.write.reset();
    INFO((executed ? std::string() : executed.error().message()));
    REQUIRE(executed);
    std::string text;
    int code = collect_until_exit(executed->process.pid, executed->pidfd.get(), {{out.read.get(), &text}});
    CHECK(code == 0);
    auto lines = berth::text::split(text, '\n');
    REQUIRE(lines.size() >= 4);
    CHECK(lines[0] == "berthbox");
    CHECK(std::stoi(lines[1]) > 1);
    CHECK(berth::text::starts_with(lines[2], "sleep"));
    CHECK(text.find("CapEff:\t00000000a80425fb") != std::string::npos);
    CHECK(text.find("denied") != std::string::npos);

    SECTION("a missing program in exec is an error") {
      exec.process_json = R"({"args": ["nosuch"]})";
      exec.stdout_fd = exec.stderr_fd = -1;
      auto failed = runtime.exec(options.id, exec);
      REQUIRE_FALSE(failed);
      CHECK(failed.error().errno_value() == ENOENT);
    }

    REQUIRE(runtime.kill(options.id, SIGKILL, false).has_value());
    auto status = berth::wait_for_child(created->init.pid);
    REQUIRE(status);
    CHECK(berth::exit_code_from_wait_status(*status) == 137);
    auto stopped = runtime.state(options.id);
    REQUIRE(stopped);
    CHECK(stopped->status == rt::Status::stopped);
    REQUIRE(runtime.remove(options.id, false).has_value());
  }
  require_clean(bundle);
}

TEST_CASE("nothing in the image can redirect a step to the host", "[runtime]") {
  Bundle bundle;
  auto host_dir = berth::fs::make_temp_directory("/tmp", "berth-host-target-");
  REQUIRE(host_dir);
  SECTION("/dev is a symlink to a host directory") {
    REQUIRE(berth::fs::remove_tree(bundle.rootfs() + "/dev"));
    REQUIRE(::symlink(host_dir->c_str(), (bundle.rootfs() + "/dev").c_str()) == 0);
    auto outcome = run_shell(bundle, "echo x > /dev/null && echo ok");
    INFO(outcome.error << outcome.err);
    CHECK(outcome.out.find("ok") != std::string::npos);
  }
  SECTION("a bind mount target is a symlink to a host directory") {
    REQUIRE(::symlink(host_dir->c_str(), (bundle.rootfs() + "/target").c_str()) == 0);
    bundle.config()["mounts"].push_back(
        {{"destination", "/target"}, {"type", "bind"}, {"source", bundle.rootfs() + "/etc"}, {"options", {"rbind", "ro"}}});
    bundle.config()["mounts"].push_back(
        {{"destination", "/target/sub"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"size=1m"}}});
    auto outcome = run_shell(bundle, "true");
    INFO(outcome.error << outcome.err);
  }
  // Whatever happened inside, the host directory got nothing: no node, no directory, no mount.
  auto entries = berth::fs::list_directory(*host_dir);
  REQUIRE(entries);
  CHECK(entries->empty());
  REQUIRE(berth::fs::remove_tree(*host_dir));
  require_clean(bundle);
}

TEST_CASE("cgroup limits from linux.resources are applied", "[runtime]") {
  Bundle bundle;
  {
    auto outcome = run_shell(bundle, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /proc/self/cgroup | grep memory; "
                                     "touch /sys/fs/cgroup/memory/x 2>&1 || echo ro");
    INFO(outcome.error << outcome.err);
    REQUIRE(outcome.started);
    CHECK(outcome.out.find("67108864") != std::string::npos);
    CHECK(outcome.out.find("berth/rt-") != std::string::npos);
    CHECK(outcome.out.find("ro") != std::string::npos);
  }
  require_clean(bundle);
}

TEST_CASE("create, state, start, state, delete through berth-runtime", "[runtime][cli]") {
  Bundle bundle;
  {
    bundle.config()["process"]["args"] = {"sh", "-c", "echo started > /tmp/marker; sleep 30"};
    bundle.write_config();
    std::string runtime_binary = berth::testing::berth_binary() + "-runtime";
    std::string id = berth::testing::unique_name("rt-cli-");
    // The created init inherits the CLI's stdio and holds it until it exits (as with runc): give it files, not
    // run_command's pipes, whose EOF we would otherwise wait for.
    std::string log = bundle.root() + "/cli.err";
    auto cli = [&](std::vector<std::string> args) {
      std::string command = "exec '" + runtime_binary + "' --root '" + bundle.state_dir() + "'";
      for (auto& arg : args) command += " '" + arg + "'";
      command += " </dev/null >'" + log + ".out' 2>'" + log + "'";
      auto result = berth::testing::run_command({"/bin/sh", "-c", command}, "", "", std::chrono::seconds(20));
      result.out = berth::fs::read_file(log + ".out").value_or("");
      result.err = berth::fs::read_file(log).value_or("");
      return result;
    };
    ContainerCleanup cleanup([&] { cli({"delete", "--force", id}); });
    auto created = cli({"create", "--bundle", bundle.path(), "--pid-file", bundle.root() + "/pid", id});
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    auto state = Json::parse(cli({"state", id}).out);
    CHECK(state["status"] == "created");
    CHECK(state["id"] == id);
    pid_t pid = state["pid"].get<pid_t>();
    CHECK(trimmed(berth::fs::read_file(bundle.root() + "/pid").value_or("")) == std::to_string(pid));
    CHECK_FALSE(berth::fs::exists(bundle.rootfs() + "/tmp/marker"));

    auto started = cli({"start", id});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    CHECK(berth::testing::wait_until([&] { return berth::fs::exists(bundle.rootfs() + "/tmp/marker"); },
                                     std::chrono::seconds(5)));
    state = Json::parse(cli({"state", id}).out);
    CHECK(state["status"] == "running");

    CHECK(cli({"delete", id}).exit_code != 0);  // running: refused without --force
    CHECK(cli({"kill", id, "KILL"}).exit_code == 0);
    CHECK(berth::testing::wait_until([&] { return Json::parse(cli({"state", id}).out)["status"] == "stopped"; },
                                     std::chrono::seconds(5)));
    auto deleted = cli({"delete", id});
    INFO(deleted.err);
    CHECK(deleted.exit_code == 0);
    CHECK(cli({"state", id}).exit_code != 0);
  }
  require_clean(bundle);
}

TEST_CASE("start reports a program that cannot be executed", "[runtime][cli]") {
  Bundle bundle;
  {
    // Passes the lookup at create time, then disappears before start.
    REQUIRE(berth::fs::write_file_atomic(bundle.rootfs() + "/bin/vanishing", "#!/bin/sh\n", 0755));
    bundle.config()["process"]["args"] = {"/bin/vanishing"};
    bundle.write_config();
    rt::Runtime runtime(bundle.state_dir());
    rt::CreateOptions options;
    options.bundle = bundle.path();
    options.id = berth::testing::unique_name("rt-start-");
    auto created = runtime.create(options);
    INFO((created ? std::string() : created.error().message()));
    REQUIRE(created);
    auto cleanup = delete_on_exit(runtime, options.id, created->init.pid);
    REQUIRE(::unlink((bundle.rootfs() + "/bin/vanishing").c_str()) == 0);
    auto started = runtime.start(options.id);
    REQUIRE_FALSE(started);
    CHECK(started.error().errno_value() == ENOENT);
    CHECK(started.error().message().find("exec: \"/bin/vanishing\"") != std::string::npos);
    auto status = berth::wait_for_child(created->init.pid);
    REQUIRE(status);
    REQUIRE(runtime.remove(options.id, false).has_value());
  }
  require_clean(bundle);
}

TEST_CASE("namespaces given by path are joined, the pid namespace too", "[runtime]") {
  Bundle bundle;
  {
    bundle.config()["process"]["args"] = {"sleep", "30"};
    bundle.write_config();
    rt::Runtime runtime(bundle.state_dir());
    rt::CreateOptions first;
    first.bundle = bundle.path();
    first.id = berth::testing::unique_name("rt-ns-a-");
    auto created = runtime.run(first);
    INFO((created ? std::string() : created.error().message()));
    REQUIRE(created);
    auto cleanup = delete_on_exit(runtime, first.id, created->init.pid);

    std::string ns = "/proc/" + std::to_string(created->init.pid) + "/ns/";
    bundle.config()["hostname"] = nullptr;
    bundle.config()["linux"]["namespaces"] = {{{"type", "pid"}, {"path", ns + "pid"}},
                                              {{"type", "network"}, {"path", ns + "net"}},
                                              {{"type", "uts"}, {"path", ns + "uts"}},
                                              {{"type", "ipc"}, {"path", ns + "ipc"}},
                                              {{"type", "mount"}}};
    auto outcome = run_shell(bundle, "hostname; ps -o comm= | grep -c sleep; echo $$");
    INFO(outcome.error << outcome.err);
    auto lines = berth::text::split(outcome.out, '\n');
    REQUIRE(lines.size() >= 3);
    CHECK(lines[0] == "berthbox");    // the first container's
    CHECK(lines[1] == "1");           // its sleep is visible: same pid namespace
    CHECK(std::stoi(lines[2]) > 1);   // and we are not its PID 1

    REQUIRE(runtime.remove(first.id, true).has_value());
    REQUIRE(berth::wait_for_child(created->init.pid));
  }
  require_clean(bundle);
}

TEST_CASE("berth-runtime create sends the console to --console-socket", "[runtime][cli]") {
  Bundle bundle;
  {
    bundle.config()["process"]["terminal"] = true;
    bundle.config()["process"]["args"] = {"sh", "-c", "tty; echo done"};
    bundle.write_config();
    std::string socket_path = bundle.root() + "/console.sock";
    berth::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener.get(), 1) == 0);
    berth::UniqueFd master;
    std::thread receiver([&] {
      berth::UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!connection) return;
      char payload[64];
      iovec io{payload, sizeof payload};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
      msghdr header{};
      header.msg_iov = &io;
      header.msg_iovlen = 1;
      header.msg_control = control;
      header.msg_controllen = sizeof control;
      if (::recvmsg(connection.get(), &header, MSG_CMSG_CLOEXEC) <= 0) return;
      cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
      if (cmsg && cmsg->cmsg_type == SCM_RIGHTS) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
        master.reset(fd);
      }
    });
    std::string id = berth::testing::unique_name("rt-console-");
    std::string runtime_binary = berth::testing::berth_binary() + "-runtime";
    ContainerCleanup cleanup([&] {
      berth::testing::run_command({runtime_binary, "--root", bundle.state_dir(), "delete", "--force", id}, "", "",
                                  std::chrono::seconds(20));
    });
    auto created = berth::testing::run_command({runtime_binary, "--root", bundle.state_dir(), "create", "--bundle",
                                                bundle.path(), "--console-socket", socket_path, id},
                                               "", "", std::chrono::seconds(20));
    receiver.join();
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    REQUIRE(master);
    auto started = berth::testing::run_command({runtime_binary, "--root", bundle.state_dir(), "start", id}, "", "",
                                               std::chrono::seconds(20));
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (out.find("done") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd entry{master.get(), POLLIN, 0};
      if (::poll(&entry, 1, 1000) <= 0) continue;
      char buffer[256];
      ssize_t n = ::read(master.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      out.append(buffer, static_cast<size_t>(n));
    }
    CHECK(out.find("/dev/") != std::string::npos);
    CHECK(out.find("done") != std::string::npos);
    auto deleted = berth::testing::run_command({runtime_binary, "--root", bundle.state_dir(), "delete", "--force", id},
                                               "", "", std::chrono::seconds(20));
    INFO(deleted.err);
    CHECK(deleted.exit_code == 0);
  }
  require_clean(bundle);
}

TEST_CASE("a multi-threaded caller whose threads hold the allocator is fine", "[runtime]") {
  // The engine calls the runtime from a process with other threads; the child must not need anything they may
  // hold (malloc's arena lock) between clone and execve.
  Bundle bundle;
  {
    bundle.write_config();
    std::atomic<bool> stop{false};
    std::vector<std::thread> allocators;
    for (int i = 0; i < 2; ++i)
      allocators.emplace_back([&stop] {
        while (!stop) {
          std::vector<std::string> churn;
          for (int j = 0; j < 64; ++j) churn.emplace_back(static_cast<size_t>(100 + j * 37), 'x');
        }
      });
    rt::Runtime runtime(bundle.state_dir());
    int exited_cleanly = 0;
    for (int i = 0; i < 15; ++i) {
      rt::CreateOptions options;
      options.bundle = bundle.path();
      options.id = berth::testing::unique_name("rt-mt-");
      auto created = runtime.run(options);
      if (!created) {
        UNSCOPED_INFO(created.error().message());
        break;
      }
      if (collect_until_exit(created->init.pid, created->pidfd.get(), {}) == 0) ++exited_cleanly;
      (void)runtime.remove(options.id, true);
    }
    stop = true;
    for (auto& thread : allocators) thread.join();
    CHECK(exited_cleanly == 15);
  }
  require_clean(bundle);
}
