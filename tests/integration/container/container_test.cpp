// Containers through the berth binary, as a user drives them: isolation, limits, exit codes, logs, exec, stop,
// parallel runs, and the truth after a supervisor is killed or the machine "reboots". Every test has its own state
// root and ends with a leak check.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "core/fs.h"
#include "core/text.h"
#include "tests/support/lib/test_env.h"

using berth::testing::CommandResult;
using berth::testing::LeakCheck;
using berth::testing::TempStateRoot;

namespace {

// A state root with the busybox image imported as "bb".
struct Fixture {
  TempStateRoot root;
  LeakCheck leaks{root.path()};
  Fixture() {
    auto imported = berth::testing::berth(root.path(), {"import", berth::testing::busybox_rootfs_tarball(), "bb"});
    REQUIRE(imported.exit_code == 0);
  }
  CommandResult operator()(const std::vector<std::string>& args, const std::string& input = "") {
    return berth::testing::berth(root.path(), args, input, std::chrono::seconds(60));
  }
  ~Fixture() {
    // Whatever a failed test left running goes, then the check: nothing of ours may remain.
    auto listed = berth::testing::berth(root.path(), {"ps", "-aq"});
    for (const auto& id : berth::text::split(listed.out, '\n'))
      if (!id.empty()) berth::testing::berth(root.path(), {"rm", "-f", id});
  }
  void expect_clean() {
    auto left = leaks.leaks();
    INFO("leaked: " << [&] {
      std::string all;
      for (auto& l : left) all += l + "; ";
      return all;
    }());
    CHECK(left.empty());
  }
};

std::string trimmed(const std::string& text) { return std::string(berth::text::trim(text)); }

}  // namespace

TEST_CASE("run prints output and returns the container's exit code", "[container]") {
  Fixture f;
  auto hello = f({"run", "--rm", "bb", "echo", "hello"});
  CHECK(hello.exit_code == 0);
  CHECK(hello.out == "hello\n");
  CHECK(f({"run", "--rm", "bb", "sh", "-c", "echo oops >&2; exit 3"}).exit_code == 3);
  auto missing = f({"run", "--rm", "bb", "no-such-program"});
  CHECK(missing.exit_code == 127);
  CHECK(missing.err.find("executable file not found") != std::string::npos);
  CHECK(f({"run", "--rm", "bb", "/etc/passwd"}).exit_code == 126);
  CHECK(trimmed(f({"ps", "-aq"}).out).empty());  // --rm removed them all, failures included
  f.expect_clean();
}

TEST_CASE("a container is isolated as Docker's are", "[container][isolation]") {
  Fixture f;
  auto run = [&](const std::string& script, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "--rm"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"bb", "sh", "-c", script});
    return f(args);
  };
  CHECK(trimmed(run("echo $$").out) == "1");                                   // the entrypoint is PID 1
  CHECK(std::stoi(trimmed(run("ls -d /proc/[0-9]* | wc -l").out)) <= 3);    // host processes invisible
  CHECK(trimmed(run("hostname", {"--hostname", "box"}).out) == "box");
  auto denied = run("mount -t tmpfs none /tmp");                             // mount denied
  CHECK(denied.exit_code != 0);
  CHECK(denied.err.find("ermission denied") != std::string::npos);
  CHECK(run("unshare -m true").exit_code != 0);                              // new namespaces denied
  CHECK(run("echo h > /proc/sysrq-trigger").exit_code != 0);
  CHECK(trimmed(run("grep CapEff /proc/self/status").out) == "CapEff:\t00000000a80425fb");
  CHECK(trimmed(run("ls /sys/class/net").out) == "lo");                      // --network none: loopback only
  CHECK(trimmed(run("cat /sys/class/net/lo/operstate; ip link show lo | grep -c UP").out) != "");
  CHECK(trimmed(run("wc -c < /proc/keys").out) == "0");                      // masked: the host's keyring list
  CHECK(trimmed(run("id -u", {"-u", "1000"}).out) == "1000");
  CHECK(trimmed(run("id -un", {"-u", "app"}).out) == "app");
  CHECK(run("touch /newfile", {"--read-only"}).exit_code != 0);
  CHECK(trimmed(run("pwd", {"-w", "/tmp"}).out) == "/tmp");
  CHECK(trimmed(run("echo $GREETING", {"-e", "GREETING=hi there"}).out) == "hi there");
  CHECK(trimmed(run("grep -c . /proc/self/status >/dev/null && cat /proc/self/status | grep NoNewPrivs",
                    {"--security-opt", "no-new-privileges"}).out) == "NoNewPrivs:\t1");
  f.expect_clean();
}

TEST_CASE("memory and pids limits are enforced and an OOM kill is reported", "[container][limits]") {
  Fixture f;
  auto hog = f({"run", "--name", "hog", "--memory", "16m", "--memory-swap", "16m", "bb", "sh", "-c",
                "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done"});
  CHECK(hog.exit_code == 137);
  CHECK(trimmed(f({"inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "hog"}).out) == "true 137");

  // A fork loop stops at the limit: the shell's forks fail ("can't fork") once 10 processes exist.
  REQUIRE(f({"run", "-d", "--name", "forks", "--pids-limit", "10", "bb", "sleep", "60"}).exit_code == 0);
  auto bomb = f({"exec", "forks", "sh", "-c", "for i in $(seq 1 30); do sleep 30 & done"});
  CHECK(bomb.exit_code != 0);
  CHECK(bomb.err.find("fork") != std::string::npos);
  auto count = f({"exec", "forks", "sh", "-c", "ls -d /proc/[0-9]* | wc -l"});
  // the exec'd counter itself needs room: with 10 taken it cannot even start, which proves the limit as well
  INFO(count.err);
  if (count.exit_code == 0) CHECK(std::stoi(trimmed(count.out)) <= 10);
  else CHECK(count.err.find("unavailable") != std::string::npos);  // EAGAIN from fork
  CHECK(f({"rm", "-f", "forks"}).exit_code == 0);
  f.expect_clean();
}

TEST_CASE("detached containers: ps, logs, exec, inspect, stop, rm", "[container][lifecycle]") {
  Fixture f;
  auto started = f({"run", "-d", "--name", "web", "bb", "sh", "-c",
                    "echo one; echo two >&2; echo three; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"});
  REQUIRE(started.exit_code == 0);
  std::string id = trimmed(started.out);
  CHECK(id.size() == 64);
  CHECK(f({"ps", "-q"}).out == id.substr(0, 12) + "\n");
  CHECK(f({"ps", "--filter", "name=web", "--format", "{{.Names}} {{.State}}"}).out == "web running\n");
  REQUIRE(berth::testing::wait_until([&] { return f({"logs", "web"}).out == "one\nthree\n"; }, std::chrono::seconds(5)));
  CHECK(f({"logs", "web"}).err == "two\n");
  auto tail = f({"logs", "--tail", "1", "web"});
  CHECK(tail.out + tail.err == (tail.out.empty() ? "two\n" : "three\n"));  // the last line of either stream
  CHECK(f({"logs", "-t", "web"}).out.find("Z one\n") != std::string::npos);

  auto exec = f({"exec", "web", "sh", "-c", "echo $(hostname) $(cat /proc/1/cmdline | head -c 2)"});
  CHECK(exec.exit_code == 0);
  CHECK(trimmed(exec.out) == id.substr(0, 12) + " sh");
  CHECK(f({"exec", "web", "sh", "-c", "exit 5"}).exit_code == 5);
  CHECK(f({"exec", "web", "nothing-here"}).exit_code == 127);
  // exec'd processes share the container's cgroup
  CHECK(f({"exec", "web", "cat", "/proc/self/cgroup"}).out == f({"exec", "web", "cat", "/proc/1/cgroup"}).out);
  CHECK(trimmed(f({"exec", "-u", "1000", "web", "id", "-u"}).out) == "1000");
  CHECK(trimmed(f({"exec", "-i", "web", "cat"}, "piped\n").out) == "piped");

  CHECK(trimmed(f({"inspect", "-f", "{{.State.Running}} {{.Name}} {{.Config.Image}}", "web"}).out) == "true /web bb");
  CHECK(f({"rm", "web"}).exit_code != 0);  // running: refused without -f
  auto stopped = f({"stop", "web"});
  CHECK(stopped.exit_code == 0);
  CHECK(trimmed(f({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web"}).out) == "exited 0");
  CHECK(f({"logs", "web"}).out.find("bye") != std::string::npos);
  // start again, then stop a process that ignores SIGTERM: SIGKILL after the grace period
  CHECK(f({"start", "web"}).exit_code == 0);
  CHECK(trimmed(f({"inspect", "-f", "{{.State.Running}}", "web"}).out) == "true");
  CHECK(f({"rm", "-f", "web"}).exit_code == 0);
  CHECK(f({"inspect", "web"}).exit_code != 0);

  REQUIRE(f({"run", "-d", "--name", "stubborn", "bb", "sleep", "100"}).exit_code == 0);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(f({"stop", "-t", "1", "stubborn"}).exit_code == 0);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(elapsed >= std::chrono::milliseconds(900));
  CHECK(trimmed(f({"inspect", "-f", "{{.State.ExitCode}}", "stubborn"}).out) == "137");
  // with --init, SIGTERM reaches sleep through the init and it ends at once
  REQUIRE(f({"run", "-d", "--init", "--name", "gentle", "bb", "sleep", "100"}).exit_code == 0);
  CHECK(trimmed(f({"exec", "gentle", "cat", "/proc/1/cmdline"}).out).find("berth-init") != std::string::npos);
  CHECK(f({"stop", "-t", "10", "gentle"}).exit_code == 0);
  CHECK(trimmed(f({"inspect", "-f", "{{.State.ExitCode}}", "gentle"}).out) == "143");
  CHECK(f({"kill", "nothing"}).exit_code != 0);
  CHECK(f({"rm", "stubborn", "gentle"}).exit_code == 0);
  f.expect_clean();
}

TEST_CASE("errors are one clear line and leave nothing behind", "[container][errors]") {
  Fixture f;
  auto missing_image = f({"run", "--rm", "nosuchimage"});
  CHECK(missing_image.exit_code == 125);
  CHECK(missing_image.err == "Error: No such image: nosuchimage\n");
  REQUIRE(f({"create", "--name", "taken", "bb", "true"}).exit_code == 0);
  auto conflict = f({"create", "--name", "taken", "bb", "true"});
  CHECK(conflict.exit_code == 125);
  CHECK(conflict.err.find("already in use") != std::string::npos);
  CHECK(f({"run", "--bogus-flag", "bb"}).exit_code == 125);
  CHECK(f({"run", "--memory", "lots", "bb"}).exit_code == 125);
  auto in_use = f({"rmi", "bb"});
  CHECK(in_use.exit_code != 0);
  CHECK(in_use.err.find("being used") != std::string::npos);
  CHECK(f({"rm", "taken"}).exit_code == 0);
  CHECK(trimmed(f({"ps", "-aq"}).out).empty());
  f.expect_clean();
}

TEST_CASE("twenty parallel run -d from separate processes", "[container][parallel]") {
  Fixture f;
  std::vector<std::thread> threads;
  std::vector<CommandResult> results(20);
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&, i] { results[static_cast<size_t>(i)] = f({"run", "-d", "bb", "sleep", "60"}); });
  for (auto& thread : threads) thread.join();
  std::set<std::string> ids;
  for (auto& result : results) {
    INFO(result.err);
    CHECK(result.exit_code == 0);
    ids.insert(trimmed(result.out));
  }
  CHECK(ids.size() == 20);
  auto listed = berth::text::split(trimmed(f({"ps", "-q"}).out), '\n');
  CHECK(listed.size() == 20);
  auto names = f({"ps", "--format", "{{.Names}}"});
  std::set<std::string> unique_names;
  for (auto& name : berth::text::split(trimmed(names.out), '\n')) unique_names.insert(name);
  CHECK(unique_names.size() == 20);
  std::vector<std::string> remove{"rm", "-f"};
  remove.insert(remove.end(), ids.begin(), ids.end());
  CHECK(f(remove).exit_code == 0);
  CHECK(trimmed(f({"ps", "-aq"}).out).empty());
  f.expect_clean();
}

TEST_CASE("ps tells the truth after the supervisor is killed or the machine restarts", "[container][recovery]") {
  Fixture f;
  REQUIRE(f({"run", "-d", "--name", "orphan", "bb", "sleep", "100"}).exit_code == 0);
  std::string id = trimmed(f({"inspect", "-f", "{{.Id}}", "orphan"}).out);
  auto supervisor = berth::fs::read_file(f.root.path() + "/run/containers/" + id + "/supervisor");
  REQUIRE(supervisor);
  pid_t supervisor_pid = std::stoi(*supervisor);
  REQUIRE(::kill(supervisor_pid, SIGKILL) == 0);
  berth::testing::wait_until([&] { return ::kill(supervisor_pid, 0) != 0; }, std::chrono::seconds(5));
  CHECK(trimmed(f({"inspect", "-f", "{{.State.Status}}", "orphan"}).out) == "exited");
  CHECK(f({"ps", "-q"}).out.empty());
  CHECK(f({"start", "orphan"}).exit_code == 0);
  CHECK(trimmed(f({"inspect", "-f", "{{.State.Status}}", "orphan"}).out) == "running");

  // "Reboot": every process of the container goes and /run is cleared.
  auto pid = std::stoi(trimmed(f({"inspect", "-f", "{{.State.Pid}}", "orphan"}).out));
  supervisor = berth::fs::read_file(f.root.path() + "/run/containers/" + id + "/supervisor");
  REQUIRE(supervisor);
  ::kill(std::stoi(*supervisor), SIGKILL);
  ::kill(pid, SIGKILL);
  berth::testing::wait_until([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(5));
  ::umount2((f.root.path() + "/lib/containers/" + id + "/rootfs").c_str(), MNT_DETACH);
  REQUIRE(berth::fs::remove_tree(f.root.path() + "/run"));
  CHECK(trimmed(f({"ps", "-a", "--format", "{{.Names}} {{.State}}"}).out) == "orphan exited");
  CHECK(f({"start", "orphan"}).exit_code == 0);
  CHECK(trimmed(f({"exec", "orphan", "echo", "alive"}).out) == "alive");
  CHECK(f({"rm", "-f", "orphan"}).exit_code == 0);
  f.expect_clean();
}

TEST_CASE("a tty container gets a real terminal; logs follow a running container", "[container][tty]") {
  Fixture f;
  auto run = f({"run", "--rm", "-t", "bb", "sh", "-c", "tty; stty size"});
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("/dev/") != std::string::npos);
  CHECK(run.out.find("not a tty") == std::string::npos);
  REQUIRE(f({"run", "-d", "--name", "ticker", "bb", "sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.3; done"})
              .exit_code == 0);
  auto followed = f({"logs", "-f", "ticker"});  // returns when the container ends
  CHECK(followed.exit_code == 0);
  CHECK(followed.out == "tick 1\ntick 2\ntick 3\n");
  REQUIRE(f({"start", "ticker"}).exit_code == 0);
  auto exec_tty = f({"exec", "-t", "ticker", "tty"});
  if (exec_tty.exit_code == 0) CHECK(exec_tty.out.find("/dev/pts/") != std::string::npos);
  CHECK(f({"rm", "-f", "ticker"}).exit_code == 0);
  f.expect_clean();
}

TEST_CASE("run flags: stdin, privileges, capabilities, seccomp, ulimits, cpus, labels, env files", "[container][flags]") {
  Fixture f;
  CHECK(f({"run", "--rm", "-i", "bb", "sh", "-c", "tr a-z A-Z"}, "piped in\n").out == "PIPED IN\n");
  auto run = [&](std::vector<std::string> flags, const std::string& script) {
    std::vector<std::string> args{"run", "--rm"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"bb", "sh", "-c", script});
    return f(args);
  };
  CHECK(trimmed(run({"--cap-drop", "ALL"}, "grep CapEff /proc/self/status").out) == "CapEff:\t0000000000000000");
  CHECK(trimmed(run({"--cap-add", "NET_ADMIN"}, "grep CapEff /proc/self/status").out) == "CapEff:\t00000000a80435fb");
  // With CAP_SYS_ADMIN, Docker's profile also allows mount (its rules follow the capability set).
  CHECK(run({"--cap-add", "SYS_ADMIN"}, "mount -t tmpfs none /tmp && echo mounted").out == "mounted\n");
  CHECK(run({"--privileged"}, "mount -t tmpfs none /tmp && echo ok").out == "ok\n");
  // every capability berth itself has (a sandbox may withhold some)
  std::string own = trimmed(berth::fs::read_file("/proc/self/status").value().substr(
      berth::fs::read_file("/proc/self/status").value().find("CapBnd:") + 7, 17));
  CHECK(trimmed(run({"--privileged"}, "grep CapEff /proc/self/status").out) == "CapEff:\t" + own);
  // Seccomp mode 2 (filter) by default, 0 when unconfined
  CHECK(run({"--security-opt", "seccomp=unconfined"}, "grep Seccomp: /proc/self/status").out == "Seccomp:\t0\n");
  CHECK(run({}, "grep Seccomp: /proc/self/status").out == "Seccomp:\t2\n");
  CHECK(trimmed(run({"--ulimit", "nofile=256:512"}, "ulimit -n; ulimit -Hn").out) == "256\n512");
  auto cpus = f({"run", "-d", "--name", "cpu", "--cpus", "0.5", "--label", "tier=db", "bb", "sleep", "60"});
  REQUIRE(cpus.exit_code == 0);
  std::string id = trimmed(cpus.out);
  auto quota = berth::fs::read_file("/sys/fs/cgroup/cpu/berth/" + id + "/cpu.cfs_quota_us");
  if (!quota) quota = berth::fs::read_file("/sys/fs/cgroup/berth/" + id + "/cpu.max");
  REQUIRE(quota);
  CHECK((trimmed(*quota) == "50000" || trimmed(*quota) == "50000 100000"));
  CHECK(f({"ps", "--filter", "label=tier=db", "--format", "{{.Names}}"}).out == "cpu\n");
  CHECK(f({"ps", "--filter", "label=tier=web", "-q"}).out.empty());
  CHECK(f({"rm", "-f", "cpu"}).exit_code == 0);
  auto env_file = f.root.path() + "/env.list";
  REQUIRE(berth::fs::write_file_atomic(env_file, "# settings\nCOLOR=blue\nSIZE=large\n"));
  CHECK(trimmed(run({"--env-file", env_file, "-e", "SIZE=small"}, "echo $COLOR $SIZE").out) == "blue small");
  CHECK(trimmed(f({"wait", trimmed(f({"run", "-d", "bb", "sh", "-c", "exit 7"}).out)}).out) == "7");
  f.expect_clean();
}

TEST_CASE("the root is mounted only inside the container; an external OCI runtime works too", "[container][runtime]") {
  Fixture f;
  auto started = f({"run", "-d", "--name", "quiet", "bb", "sleep", "60"});
  REQUIRE(started.exit_code == 0);
  std::string id = trimmed(started.out);
  auto mountinfo = berth::fs::read_file("/proc/self/mountinfo");
  REQUIRE(mountinfo);
  CHECK(mountinfo->find(id) == std::string::npos);  // invisible on the host
  // ... while inside, "/" is the overlay
  CHECK(trimmed(f({"exec", "quiet", "sh", "-c", "awk '$5 == \"/\" {print $9}' /proc/self/mountinfo"}).out) == "overlay");
  CHECK(f({"rm", "-f", "quiet"}).exit_code == 0);
  if (::access("/usr/sbin/runc", X_OK) == 0) {
    auto with_runc = f({"run", "--rm", "--runtime", "/usr/sbin/runc", "bb", "sh", "-c", "echo via runc; exit 4"});
    CHECK(with_runc.out == "via runc\n");
    CHECK(with_runc.exit_code == 4);
  } else {
    WARN("runc is not installed: the external-runtime half of this test did not run");
  }
  f.expect_clean();
}
