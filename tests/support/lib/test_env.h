// Helpers shared by the integration tests: a private state root, unique names, running the berth binary with a
// bounded time, a busybox base image, and the leak check every integration test ends with.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace berth::testing {

// The source tree and the berth binary of this build.
std::string source_dir();
std::string berth_binary();

// A name no other test (or earlier run) has used: prefix + pid + counter + random.
std::string unique_name(const std::string& prefix);

// A temporary BERTH_ROOT, removed (with anything mounted below it unmounted first) when the test ends.
class TempStateRoot {
 public:
  TempStateRoot();
  ~TempStateRoot();
  TempStateRoot(const TempStateRoot&) = delete;
  TempStateRoot& operator=(const TempStateRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;  // 128+N for a signal; -1 when it had to be killed for running past its time
  std::string out;
  std::string err;
  bool timed_out = false;
};

// Runs `argv` with BERTH_ROOT=`state_root` (when not empty) and the given extra environment, feeding `input` on
// stdin, and kills it after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& state_root = "",
                          const std::string& input = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(60),
                          const std::map<std::string, std::string>& extra_env = {});
// `berth <args...>` against `state_root`.
CommandResult berth(const std::string& state_root, const std::vector<std::string>& args,
                    const std::string& input = "", std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A rootfs tarball of Debian's static busybox with its applets, /etc/passwd and /etc/group (users root, nobody and
// "app" 1000:1000), made once per test process. Returns its path.
std::string busybox_rootfs_tarball();

// Snapshot of what berth may leave behind: mounts, cgroups, network namespaces and links, and processes. verify()
// lists what appeared since the snapshot and is still here (empty = clean). Give it the state root so mounts under
// it and processes started with it are attributed to this test.
class LeakCheck {
 public:
  explicit LeakCheck(std::string state_root);
  std::vector<std::string> leaks() const;

 private:
  std::string state_root_;
  std::set<std::string> mounts_before_;
  std::set<std::string> cgroups_before_;
  std::set<std::string> links_before_;
  std::set<std::string> netns_before_;
};

// Polls `condition` every 10 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

}  // namespace berth::testing
