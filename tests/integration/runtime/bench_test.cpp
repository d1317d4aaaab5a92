// Start-up latency of the embedded runtime, run on demand: integration_runtime "[bench]" (hidden from the default
// run). Prints milliseconds per container (run + wait + delete), in-process and through the CLI, next to `runc run`
// on the same bundle when runc is installed.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "core/process.h"
#include "engine/runtime/runtime.h"
#include "tests/support/lib/test_env.h"

namespace rt = berth::runtime;
using Json = nlohmann::json;

namespace {

constexpr int kRuns = 30;

Json minimal_config() {
  return Json{{"ociVersion", "1.0.2"},
              {"root", {{"path", "rootfs"}}},
              {"process", {{"args", {"/bin/true"}}, {"cwd", "/"}, {"env", {"PATH=/bin"}}}},
              {"mounts",
               {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"mode=755"}}}}},
              {"linux",
               {{"namespaces",
                 {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "network"}}}}}}};
}

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double in_process(const std::string& bundle, const std::string& state_dir) {
  rt::Runtime runtime(state_dir);
  double running = 0, waiting = 0, removing = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) {
    rt::CreateOptions options;
    options.bundle = bundle;
    options.id = "bench-" + std::to_string(i);
    auto step = std::chrono::steady_clock::now();
    auto created = runtime.run(options);
    REQUIRE(created);
    running += milliseconds_since(step);
    step = std::chrono::steady_clock::now();
    REQUIRE(berth::wait_for_child(created->init.pid));
    waiting += milliseconds_since(step);
    step = std::chrono::steady_clock::now();
    REQUIRE(runtime.remove(options.id, false).has_value());
    removing += milliseconds_since(step);
  }
  std::printf("in-process phases: run (until execve) %.2f ms, wait for exit %.2f ms, delete %.2f ms\n",
              running / kRuns, waiting / kRuns, removing / kRuns);
  return milliseconds_since(start) / kRuns;
}

double command_loop(const std::vector<std::string>& argv_prefix, const std::string& id_prefix) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) {
    auto argv = argv_prefix;
    argv.push_back(id_prefix + std::to_string(i));
    auto result = berth::testing::run_command(argv, "", "", std::chrono::seconds(20));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  }
  return milliseconds_since(start) / kRuns;
}

}  // namespace

TEST_CASE("start-up latency", "[.][bench]") {
  berth::testing::TempStateRoot root;
  std::string bundle = root.path() + "/bundle";
  REQUIRE(berth::fs::make_directories(bundle + "/rootfs"));
  REQUIRE(berth::testing::run_command(
              {"/bin/tar", "-C", bundle + "/rootfs", "-xf", berth::testing::busybox_rootfs_tarball()})
              .exit_code == 0);
  REQUIRE(berth::fs::write_file_atomic(bundle + "/config.json", minimal_config().dump()));
  std::string state_dir = root.path() + "/run/runtime";

  double embedded = in_process(bundle, state_dir);
  double cli = command_loop({berth::testing::berth_binary() + "-runtime", "--root", state_dir, "run", "-b", bundle},
                            "bench-cli-");
  std::printf("minimal container (/bin/true, pid+mnt+uts+ipc+net, v1 cgroup): in-process %.2f ms, "
              "berth-runtime run %.2f ms",
              embedded, cli);
  if (berth::fs::exists("/usr/sbin/runc")) {
    double runc = command_loop({"/usr/sbin/runc", "--root", root.path() + "/runc", "run", "-b", bundle}, "bench-runc-");
    std::printf(", runc run %.2f ms", runc);
  }
  std::printf(" (mean of %d)\n", kRuns);
}
