// Carrying out the cgroup decisions of plan.cpp on cgroupfs: directories, limits, membership, teardown.
#include "engine/cgroup/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fmt/core.h>
#include <thread>

#include "core/fs.h"
#include "core/log.h"
#include "core/text.h"
#include "engine/cgroup/device_filter.h"
#include "engine/cgroup/plan.h"

namespace berth::cgroup {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kEmptyTimeout = 2s;     // how long remove() waits for killed processes to leave
constexpr auto kRmdirBusyTimeout = 500ms;
constexpr auto kFreezeTimeout = 100ms;

// One write(2) of `value`: cgroupfs takes a whole value per write, and its errors (EINVAL, EBUSY, ESRCH) say which
// value it refused, so the file and the value both go into the message.
Result<void> write_value(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC));
  if (!fd) return sys_error(fmt::format("open {}", path));
  ssize_t written;
  do written = ::write(fd.get(), value.data(), value.size());
  while (written < 0 && errno == EINTR);
  if (written < 0) return sys_error(fmt::format("write \"{}\" to {}", value, path));
  if (static_cast<size_t>(written) != value.size())
    return unexpected(Error(fmt::format("write \"{}\" to {}: short write", value, path), EIO));
  return {};
}

Result<std::string> read_value(const std::string& path) {
  auto content = BERTH_TRY(fs::read_file(path));
  return std::string(text::trim(content));
}

std::optional<int64_t> parse_integer(std::string_view text) {
  text = text::trim(text);
  if (text.empty()) return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(copy.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return value;
}

// "key value" lines (memory.events, memory.oom_control, cpu.stat): the value of `key`.
std::optional<int64_t> keyed_value(const std::string& content, std::string_view key) {
  for (const auto& line : text::split(content, '\n')) {
    auto space = line.find(' ');
    if (space != std::string::npos && std::string_view(line).substr(0, space) == key)
      return parse_integer(std::string_view(line).substr(space + 1));
  }
  return std::nullopt;
}

std::string parent_of(const std::string& path) { return path.substr(0, path.find_last_of('/')); }

// mkdir that reports whether it made the directory (false: it was there).
Result<bool> make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) return false;
  return sys_error(fmt::format("mkdir {}", path));
}

// A new v1 cpuset cgroup starts with empty cpuset.cpus/cpuset.mems, and no task may join it until both are set:
// copy them from the parent (fixing the parent first the same way, up to the hierarchy's root).
Result<void> populate_cpuset(const std::string& directory, const std::string& hierarchy_root) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    auto path = fs::join(directory, file);
    if (!BERTH_TRY(read_value(path)).empty()) continue;
    if (directory == hierarchy_root) return unexpected(Error(fmt::format("{} is empty at the root", path), EINVAL));
    auto parent = parent_of(directory);
    auto inherited = BERTH_TRY(read_value(fs::join(parent, file)));
    if (inherited.empty()) {
      BERTH_TRY(populate_cpuset(parent, hierarchy_root));
      inherited = BERTH_TRY(read_value(fs::join(parent, file)));
    }
    BERTH_TRY(write_value(path, inherited));
  }
  return {};
}

bool contains(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

constexpr int kMaxNesting = 16;  // how deep we follow cgroups a container made inside its own

// The cgroups below `dir` (systemd in a container, or docker-in-docker, makes its own inside ours).
std::vector<std::string> child_cgroups(const std::string& dir) {
  std::vector<std::string> children;
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) return children;
  while (auto* entry = ::readdir(handle)) {
    if (entry->d_type != DT_DIR || std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0)
      continue;
    children.push_back(fs::join(dir, entry->d_name));
  }
  ::closedir(handle);
  return children;
}

// cgroup.procs lists a cgroup's own members only: descendants are read one by one.
Result<void> collect_processes(const std::string& dir, int depth, std::vector<pid_t>& pids) {
  auto content = fs::read_file(fs::join(dir, "cgroup.procs"));
  if (!content && content.error().errno_value() != ENOENT) return std::move(content).error();
  if (!content) return {};  // no cgroup, no processes
  for (const auto& line : text::split(*content, '\n')) {
    auto pid = parse_integer(line);
    if (pid && *pid > 0) pids.push_back(static_cast<pid_t>(*pid));
  }
  if (depth < kMaxNesting)
    for (const auto& child : child_cgroups(dir)) BERTH_TRY(collect_processes(child, depth + 1, pids));
  return {};
}

// Removes what create() made when a later step fails.
class CreatedDirectories {
 public:
  ~CreatedDirectories() {
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) ::rmdir(it->c_str());
  }
  void add(std::string path) { made_.push_back(std::move(path)); }
  void keep() { made_.clear(); }

 private:
  std::vector<std::string> made_;
};

// cgroup.kill (Linux 5.14) kills every process, including ones forking right now. In hybrid mode the unified
// directory holds the same processes, so it works there too. False when there is no such file.
bool kill_with_cgroup_kill(const Cgroup& cgroup) {
  auto unified = cgroup.directory("");
  return !unified.empty() && write_value(fs::join(unified, "cgroup.kill"), "1").has_value();
}

Result<void> signal_listed(const Cgroup& cgroup, int signal) {
  auto pids = BERTH_TRY_CONTEXT(cgroup.processes(), fmt::format("signalling cgroup {}", cgroup.relative_path()));
  for (pid_t pid : pids)
    if (::kill(pid, signal) != 0 && errno != ESRCH)
      return sys_error(fmt::format("kill({}, {}) in cgroup {}", pid, signal, cgroup.relative_path()));
  return {};
}

}  // namespace

std::string Cgroup::directory(const std::string& controller) const {
  if (layout_.mode == Mode::v2) return fs::join(layout_.root, relative_path_);
  if (controller.empty()) return layout_.unified_mount.empty() ? "" : fs::join(layout_.unified_mount, relative_path_);
  auto mount = layout_.v1_mounts.find(controller);
  if (mount == layout_.v1_mounts.end()) return "";
  return fs::join(mount->second, relative_path_);
}

std::vector<std::string> Cgroup::directories() const {
  if (layout_.mode == Mode::v2) return {directory("")};
  std::vector<std::string> result;
  for (const char* controller : kV1Hierarchies) {
    auto path = directory(controller);
    // Co-mounted controllers (cpu,cpuacct) share one directory.
    if (!path.empty() && !contains(result, path)) result.push_back(path);
  }
  if (layout_.mode == Mode::hybrid && !layout_.unified_mount.empty()) result.push_back(directory(""));
  return result;
}

Cgroup Cgroup::open(const Layout& layout, const std::string& relative_path) { return Cgroup(layout, relative_path); }

namespace {

// Enables `wanted` controllers in one v2 cgroup's subtree_control (one write in the common case) and returns what is
// enabled there afterwards.
Result<std::vector<std::string>> enable_controllers(const std::string& directory,
                                                    const std::vector<std::string>& available) {
  static const std::vector<std::string> wanted(std::begin(kV2Controllers), std::end(kV2Controllers));
  auto control = fs::join(directory, "cgroup.subtree_control");
  auto enabled = parse_controller_list(BERTH_TRY(read_value(control)));
  auto change = subtree_control_change(enabled, available, wanted);
  if (change.empty()) return enabled;
  auto written = write_value(control, change);
  bool any = written.has_value();
  for (const auto& word : text::split(change, ' ')) {
    // One refused controller (cpu while realtime tasks run elsewhere, say) must not cost us the others.
    if (!written && !write_value(control, word)) continue;
    any = true;
    enabled.push_back(word.substr(1));
  }
  if (!any) return std::move(written).error();
  return enabled;
}

// v2: the controllers enabled in each ancestor's subtree_control, root first, so the leaf gets their files; then
// the directories. Only leaves hold processes (the no-internal-process rule): berth/ itself never does.
Result<void> make_v2_directories(const Layout& layout, const std::vector<std::string>& prefixes,
                                 CreatedDirectories& created) {
  std::vector<std::string> available = layout.controllers;
  std::string ancestor = layout.root;
  for (const auto& prefix : prefixes) {
    available = BERTH_TRY(enable_controllers(ancestor, available));  // what the child may enable in turn
    auto path = fs::join(layout.root, prefix);
    if (BERTH_TRY(make_directory(path)) && prefix == prefixes.back()) created.add(path);
    ancestor = path;
  }
  return {};
}

// v1 and hybrid: the directory in each hierarchy. A new cpuset cgroup gets cpus/mems before anyone can join.
Result<void> make_v1_directories(const Cgroup& cgroup, const std::vector<std::string>& prefixes,
                                 CreatedDirectories& created) {
  const auto& mounts = cgroup.layout().v1_mounts;
  auto cpuset_mount = mounts.count("cpuset") ? mounts.at("cpuset") : "";
  for (const auto& leaf : cgroup.directories()) {
    auto hierarchy_root = leaf.substr(0, leaf.size() - cgroup.relative_path().size() - 1);
    // Usually berth/ is there already: try the leaf alone first, and make the ancestors only when it is missing.
    auto made = make_directory(leaf);
    if (!made && made.error().errno_value() != ENOENT) return std::move(made).error();
    if (made && *made) created.add(leaf);
    if (!made) {
      for (const auto& prefix : prefixes) {
        auto path = fs::join(hierarchy_root, prefix);
        bool new_directory = BERTH_TRY(make_directory(path));
        if (new_directory && prefix == prefixes.back()) created.add(path);
        if (new_directory && prefix != prefixes.back() && hierarchy_root == cpuset_mount) {
          // Have the kernel copy cpus/mems into every future child of the shared parent, so that container cgroups
          // need no copying (cgroup.clone_children, cpuset only).
          BERTH_TRY(populate_cpuset(path, hierarchy_root));
          BERTH_TRY(write_value(fs::join(path, "cgroup.clone_children"), "1"));
        }
      }
    }
    if (hierarchy_root == cpuset_mount) BERTH_TRY(populate_cpuset(leaf, hierarchy_root));
  }
  return {};
}

}  // namespace

Result<Cgroup> Cgroup::create(const Layout& layout, const std::string& relative_path) {
  auto context = fmt::format("creating cgroup {}", relative_path);
  auto prefixes = BERTH_TRY_CONTEXT(relative_path_prefixes(relative_path), context);
  Cgroup cgroup(layout, relative_path);
  CreatedDirectories created;  // removed again if a step fails
  if (layout.mode == Mode::v2)
    BERTH_TRY_CONTEXT(make_v2_directories(layout, prefixes, created), context);
  else
    BERTH_TRY_CONTEXT(make_v1_directories(cgroup, prefixes, created), context);
  created.keep();
  return cgroup;
}

Result<void> Cgroup::apply(const Limits& limits) {
  auto context = fmt::format("applying limits to cgroup {}", relative_path_);
  HostFacts facts;
  if (limits.memory_bytes && *limits.memory_bytes != 0) {
    bool v2 = layout_.mode == Mode::v2;
    auto swap_file = fs::join(directory("memory"), v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
    facts.swap_limit = ::access(swap_file.c_str(), F_OK) == 0;
    if (!v2 && facts.swap_limit && effective_memory_swap(limits)) {
      auto current = BERTH_TRY_CONTEXT(read_value(swap_file), context);
      facts.current_memsw_limit = parse_integer(current);
    }
    if (!facts.swap_limit && limits.memory_swap_bytes && *limits.memory_swap_bytes > 0)
      log::warn("this kernel does not limit swap ({} is missing): memory is limited without swap", swap_file);
  }
  auto writes = BERTH_TRY_CONTEXT(plan_limits(layout_.mode, limits, facts), context);
  for (const auto& write : writes) {
    bool available = layout_.mode == Mode::v2 ? contains(layout_.controllers, write.controller)
                                              : layout_.v1_mounts.count(write.controller) > 0;
    if (!available)
      return unexpected(Error(fmt::format("{}: {} needs the {} controller, which this host does not have", context,
                                          write.file, write.controller),
                              ENOTSUP));
    BERTH_TRY_CONTEXT(write_value(fs::join(directory(write.controller), write.file), write.value), context);
  }
  return {};
}

Result<void> Cgroup::apply_device_rules(const std::vector<DeviceRule>& rules) {
  auto context = fmt::format("applying device rules to cgroup {}", relative_path_);
  BERTH_TRY_CONTEXT(validate_device_rules(rules), context);
  if (layout_.mode == Mode::v2) {
    auto program = BERTH_TRY_CONTEXT(compile_device_filter(rules), context);
    auto path = directory("");
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error::from_errno(fmt::format("open {}", path)).wrap(context);
    return attach_device_filter(fd.get(), program).context(fmt::format("{}: {}", context, path));
  }
  auto devices = directory("devices");
  if (devices.empty())
    return unexpected(Error(fmt::format("{}: the v1 devices controller is not mounted", context), ENOTSUP));
  for (const auto& write : plan_v1_device_rules(rules))
    BERTH_TRY_CONTEXT(write_value(fs::join(devices, write.file), write.value), context);
  return {};
}

Result<void> Cgroup::attach(pid_t pid) {
  // cgroup.procs moves the whole thread group. On v1 each write waits for an RCU grace period (the threadgroup
  // rwsem's writer side); back-to-back writes mostly share one.
  auto value = std::to_string(pid);
  for (const auto& dir : directories())
    BERTH_TRY_CONTEXT(write_value(fs::join(dir, "cgroup.procs"), value),
                      fmt::format("moving process {} into cgroup {}", pid, relative_path_));
  return {};
}

Result<UniqueFd> Cgroup::open_directory() const {
  if (layout_.mode != Mode::v2)
    return unexpected(Error(fmt::format("cgroup {}: clone3(CLONE_INTO_CGROUP) needs cgroup v2, this host is {}",
                                        relative_path_, mode_name(layout_.mode)),
                            ENOTSUP));
  auto path = directory("");
  UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_error(fmt::format("open {}", path));
  return fd;
}

Result<UniqueFd> Cgroup::open_unified_directory() const {
  auto path = directory("");
  if (path.empty()) return UniqueFd();
  UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_error(fmt::format("open {}", path));
  return fd;
}

Cgroup::SelfJoinPlan Cgroup::self_join_plan() const {
  SelfJoinPlan plan;
  if (layout_.mode == Mode::v2) return plan;
  for (const auto& dir : directories())
    if (dir != directory("")) plan.tasks_files.push_back(fs::join(dir, "tasks"));
  return plan;
}

int join_self(const Cgroup::SelfJoinPlan& plan, const char** failed_file) noexcept {
  for (const auto& file : plan.tasks_files) {
    // "0" is the writing thread itself: the kernel then skips the threadgroup lock (and its grace period).
    int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    int error = 0;
    if (fd < 0) {
      error = errno;
    } else {
      if (::write(fd, "0", 1) != 1) error = errno;
      ::close(fd);
    }
    if (error != 0) {
      if (failed_file) *failed_file = file.c_str();
      return error;
    }
  }
  return 0;
}

Result<std::vector<pid_t>> Cgroup::processes() const {
  std::string dir;
  if (layout_.mode == Mode::v2) {
    dir = directory("");
  } else {
    for (const char* controller : {"pids", "memory"})
      if (dir.empty()) dir = directory(controller);
    if (dir.empty()) {
      auto all = directories();
      if (!all.empty()) dir = all.front();
    }
  }
  std::vector<pid_t> pids;
  if (!dir.empty()) BERTH_TRY(collect_processes(dir, 0, pids));
  return pids;
}

Result<void> Cgroup::signal_all(int signal) const {
  if (signal == SIGKILL && kill_with_cgroup_kill(*this)) return {};
  return signal_listed(*this, signal);
}

Result<bool> Cgroup::oom_killed() const {
  bool v2 = layout_.mode == Mode::v2;
  auto memory = directory("memory");
  if (memory.empty() || (v2 && !contains(layout_.controllers, "memory"))) return false;
  // v1 has the counter in memory.oom_control since Linux 4.13; without it we cannot tell, and say no.
  auto path = fs::join(memory, v2 ? "memory.events" : "memory.oom_control");
  auto content = BERTH_TRY(fs::read_file(path));
  auto kills = keyed_value(content, "oom_kill");
  return kills && *kills > 0;
}

Result<Stats> Cgroup::stats() const {
  Stats stats;
  bool v2 = layout_.mode == Mode::v2;
  auto number = [](const std::string& path) -> std::optional<int64_t> {
    auto content = read_value(path);
    if (!content) return std::nullopt;
    if (*content == "max") return -1;
    return parse_integer(*content);
  };
  // Kernels report "no limit" as "max" (v2) or a page-rounded INT64_MAX (v1): both become 0.
  auto limit = [](std::optional<int64_t> value) -> uint64_t {
    if (!value || *value < 0 || *value >= (int64_t{1} << 62)) return 0;
    return static_cast<uint64_t>(*value);
  };
  auto memory = directory("memory");
  if (!memory.empty()) {
    stats.memory_usage_bytes =
        std::max<int64_t>(0, number(fs::join(memory, v2 ? "memory.current" : "memory.usage_in_bytes")).value_or(0));
    stats.memory_limit_bytes = limit(number(fs::join(memory, v2 ? "memory.max" : "memory.limit_in_bytes")));
  }
  auto pids = directory("pids");
  if (!pids.empty()) stats.pids_current = std::max<int64_t>(0, number(fs::join(pids, "pids.current")).value_or(0));
  if (v2) {
    auto content = fs::read_file(fs::join(directory("cpu"), "cpu.stat"));
    if (content) stats.cpu_usage_ns = static_cast<uint64_t>(keyed_value(*content, "usage_usec").value_or(0)) * 1000;
  } else if (auto cpuacct = directory("cpuacct"); !cpuacct.empty()) {
    stats.cpu_usage_ns = std::max<int64_t>(0, number(fs::join(cpuacct, "cpuacct.usage")).value_or(0));
  }
  return stats;
}

bool Cgroup::exists() const {
  auto all = directories();
  return std::any_of(all.begin(), all.end(), [](const std::string& dir) { return fs::is_directory(dir); });
}

namespace {

// v1 without cgroup.kill: freeze the cgroup so nothing forks between listing and killing, kill, thaw (a frozen task
// only dies once thawed).
Result<void> kill_frozen(const Cgroup& cgroup) {
  auto freezer = cgroup.directory("freezer");
  bool frozen = !freezer.empty() && fs::is_directory(freezer) &&
                write_value(fs::join(freezer, "freezer.state"), "FROZEN").has_value();
  if (frozen) {
    auto deadline = Clock::now() + kFreezeTimeout;
    while (read_value(fs::join(freezer, "freezer.state")).value_or("FROZEN") != "FROZEN" && Clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
  }
  auto killed = signal_listed(cgroup, SIGKILL);
  if (frozen) BERTH_TRY(write_value(fs::join(freezer, "freezer.state"), "THAWED"));
  return killed;
}

// Waits for a cgroup to change as cheaply as the kernel allows: where there is a unified directory, its
// cgroup.events wakes poll(2) with POLLPRI when "populated" flips; in any case short sleeps that grow.
class EmptinessWatch {
 public:
  explicit EmptinessWatch(const std::string& unified_directory) {
    if (!unified_directory.empty())
      events_.reset(::open(fs::join(unified_directory, "cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
  }
  void wait_until(Clock::time_point wake) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
    if (left <= 0ms) return;
    if (events_) {
      // Reading re-arms the notification, so look at what it says before sleeping on the next one.
      char buffer[256];
      ssize_t size = ::pread(events_.get(), buffer, sizeof buffer - 1, 0);
      if (size > 0 && std::string_view(buffer, static_cast<size_t>(size)).find("populated 0") != std::string_view::npos)
        return;
      // The kernel delays a notification that follows another within 10 ms (cgroup_file_notify), which is the
      // usual case right after a process joined: so poll with a short timeout as well, and look again.
      pollfd watched{events_.get(), POLLPRI, 0};
      ::poll(&watched, 1, static_cast<int>(std::min(left, pause_).count()));
    } else {
      std::this_thread::sleep_for(std::min(left, pause_));
    }
    pause_ = std::min(pause_ * 2, std::chrono::milliseconds(8));
  }

 private:
  UniqueFd events_;
  std::chrono::milliseconds pause_{1};
};

// rmdir of a cgroup and, first, of whatever cgroups were made inside it.
Result<void> remove_directory(const std::string& path, int depth = 0) {
  if (depth < kMaxNesting)
    for (const auto& child : child_cgroups(path)) BERTH_TRY(remove_directory(child, depth + 1));
  auto deadline = Clock::now() + kRmdirBusyTimeout;
  auto pause = 1ms;
  for (;;) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
    // EBUSY: the last tasks are still on their way out (or a child cgroup still exists).
    if (errno != EBUSY || Clock::now() >= deadline) return sys_error(fmt::format("rmdir {}", path));
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace

Result<void> Cgroup::remove() {
  auto context = fmt::format("removing cgroup {}", relative_path_);
  auto remaining = BERTH_TRY_CONTEXT(processes(), context);
  if (!remaining.empty()) {
    EmptinessWatch watch(directory(""));
    auto deadline = Clock::now() + kEmptyTimeout;
    auto next_kill = Clock::now();
    while (!remaining.empty()) {
      auto now = Clock::now();
      if (now >= deadline)
        return unexpected(Error(fmt::format("{}: {} processes still in it after {} ms (first: {})", context,
                                            remaining.size(),
                                            std::chrono::duration_cast<std::chrono::milliseconds>(kEmptyTimeout).count(),
                                            remaining.front()),
                                EBUSY));
      if (now >= next_kill) {  // again now and then: something may have joined since
        Result<void> killed;
        if (!kill_with_cgroup_kill(*this)) killed = layout_.mode == Mode::v2 ? signal_listed(*this, SIGKILL)
                                                                              : kill_frozen(*this);
        if (!killed) return std::move(killed).error().wrap(context);
        next_kill = Clock::now() + 200ms;
      }
      watch.wait_until(std::min(next_kill, deadline));
      remaining = BERTH_TRY_CONTEXT(processes(), context);
    }
  }
  // Only our own leaf: the shared parent (berth/) stays for the next container.
  std::optional<Error> first_failure;
  for (const auto& dir : directories()) {
    auto removed = remove_directory(dir);
    if (!removed && !first_failure) first_failure = std::move(removed).error().wrap(context);
  }
  if (first_failure) return unexpected(std::move(*first_failure));
  return {};
}

}  // namespace berth::cgroup
