#include "engine/runtime/launch.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fmt/core.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/process.h"
#include "engine/runtime/container_cgroup.h"
#include "engine/runtime/init_plan.h"
#include "engine/runtime/seccomp_compile.h"
#include "engine/runtime/sync_channel.h"

namespace berth::runtime {
namespace {

// ---- processes ------------------------------------------------------------------------------------------------

// clone3 without a new stack: the child continues here like after fork(), with a pidfd for the parent and, on
// cgroup v2 and hybrid, born directly inside the unified `cgroup_fd` (so it never runs a single instruction outside
// that cgroup; the v1 hierarchies it joins itself, first thing).
pid_t clone_process(uint64_t flags, int* pidfd, int cgroup_fd, bool as_sibling) {
  clone_args args{};
  args.flags = flags | CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0) | (as_sibling ? CLONE_PARENT : 0);
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  // With CLONE_PARENT the kernel takes the exit signal from our parent's side and wants 0 here.
  args.exit_signal = as_sibling ? 0 : SIGCHLD;
  if (cgroup_fd >= 0) args.cgroup = static_cast<uint64_t>(cgroup_fd);
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

// A child of ours that is killed and reaped unless released: every failed start is undone by unwinding.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, 0)), pidfd_(std::move(other.pidfd_)) {}
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess() { kill_and_reap(); }

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  void reset(pid_t pid, UniqueFd pidfd) {
    kill_and_reap();
    pid_ = pid;
    pidfd_ = std::move(pidfd);
  }
  // Reaps a child that exits by itself (an intermediate); returns its wait status.
  Result<int> wait() {
    auto status = wait_for_child(std::exchange(pid_, 0));
    pidfd_.reset();
    return status;
  }
  std::pair<pid_t, UniqueFd> release() { return {std::exchange(pid_, 0), std::move(pidfd_)}; }

 private:
  void kill_and_reap() {
    if (pid_ <= 0) return;
    if (pidfd_) (void)signal_pidfd(pidfd_.get(), SIGKILL);
    else ::kill(pid_, SIGKILL);
    (void)wait_for_child(pid_);
    pid_ = 0;
    pidfd_.reset();
  }
  pid_t pid_ = 0;
  UniqueFd pidfd_;
};

// Runs in a child cloned from the caller (already inside the unified cgroup): joins the v1 cgroups, then
// `namespace_fd`'s namespaces, then clones the real process as our sibling (a child of the caller), which inherits
// all of that, and hands its pid and pidfd to the caller. Needed to enter a pid namespace, which only ever applies
// to children, and a mount namespace in which the host's cgroupfs is out of reach. Allocates nothing.
[[noreturn]] void run_intermediate(int namespace_fd, int setns_flags, uint64_t clone_flags, const InitPlan& plan) {
  if (!join_cgroup_self(plan)) report_child_failure(plan);
  SyncMessage message;
  if (::setns(namespace_fd, setns_flags) != 0) {
    message.kind = SyncKind::error;
    message.error_number = errno;
    std::snprintf(message.text, sizeof message.text, "join the container's namespaces (setns 0x%x)", setns_flags);
    (void)send_sync_message(plan.sync_fd, message);
    ::_exit(1);
  }
  int pidfd = -1;
  pid_t pid = clone_process(clone_flags, &pidfd, -1, /*as_sibling=*/true);
  if (pid == 0) run_child(plan, /*in_cgroup=*/true);
  if (pid < 0) {
    message.kind = SyncKind::error;
    message.error_number = errno;
    std::snprintf(message.text, sizeof message.text, "clone the process inside the container's namespaces");
    (void)send_sync_message(plan.sync_fd, message);
    ::_exit(1);
  }
  message.kind = SyncKind::child_pid;
  message.pid = pid;
  (void)send_sync_message(plan.sync_fd, message, pidfd);
  ::_exit(0);
}

// Debug-level timings of the start-up phases ("--debug"); free when debug logging is off.
class PhaseClock {
 public:
  explicit PhaseClock(const std::string& id) : id_(id), last_(std::chrono::steady_clock::now()) {}
  void mark(const char* phase) {
    if (log::level() > log::Level::debug) return;
    auto now = std::chrono::steady_clock::now();
    log::debug("container {}: {} (+{} us)", id_, phase,
               std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count());
    last_ = now;
  }

 private:
  const std::string& id_;
  std::chrono::steady_clock::time_point last_;
};

// ---- the sync socket ------------------------------------------------------------------------------------------

struct SyncPair {
  UniqueFd parent;
  UniqueFd child;
};

Result<SyncPair> make_sync_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) return sys_error("socketpair");
  SyncPair pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
  // Keep both clear of 0..2, which the child may overwrite with the container's stdio.
  for (UniqueFd* fd : {&pair.parent, &pair.child})
    if (fd->get() < 3) {
      int moved = ::fcntl(fd->get(), F_DUPFD_CLOEXEC, 3);
      if (moved < 0) return sys_error("dup sync socket");
      fd->reset(moved);
    }
  return pair;
}

Error child_error(const SyncMessage& message) {
  // For errors, `pid` is 1 when the text already says why.
  if (message.pid == 1) return Error(message.text, message.error_number);
  return Error::from_errno(message.text, message.error_number);
}

enum class Milestone {
  ready,  // set up and waiting for start
  exec,   // execve succeeded (our end of the socket saw EOF)
};

// Follows the child's messages until `until`.
Result<void> follow_child(int sync_fd, Milestone until, ChildProcess& process, UniqueFd& console) {
  bool ready = false;
  for (;;) {
    auto received = BERTH_TRY(receive_from_child(sync_fd));
    if (received.eof) {
      if (until == Milestone::exec && process.pid() > 0) return {};
      return unexpected(Error("the container's set-up process exited without reporting an error", ECHILD));
    }
    const SyncMessage& message = received.message;
    switch (message.kind) {
      case SyncKind::error:
        return unexpected(child_error(message));
      case SyncKind::console:
        console = std::move(received.attached);
        break;
      case SyncKind::child_pid:
        process.reset(message.pid, std::move(received.attached));
        if (ready) return {};
        break;
      case SyncKind::ready:
        ready = true;
        if (until == Milestone::ready && process.pid() > 0) return {};
        break;
      default:
        return unexpected(Error(fmt::format("unexpected message {} from the container's set-up process",
                                            static_cast<unsigned>(message.kind)), EPROTO));
    }
  }
}

// The two halves of joining a cgroup without waiting for an RCU grace period (see cgroup::Cgroup): the unified
// directory for clone3(CLONE_INTO_CGROUP), and the v1 `tasks` files the child writes itself into.
struct CgroupEntry {
  UniqueFd unified_directory;
  cgroup::Cgroup::SelfJoinPlan join;
};

// ---- the plan -------------------------------------------------------------------------------------------------

int last_capability() {
  static int last = [] {
    auto text = fs::read_file("/proc/sys/kernel/cap_last_cap");
    return text ? std::atoi(text->c_str()) : 40;
  }();
  return last;
}

void plan_program(const ProcessSpec& process, InitPlan& plan) {
  plan.process = &process;
  for (auto& arg : process.args) plan.argv.push_back(const_cast<char*>(arg.c_str()));
  plan.argv.push_back(nullptr);
  for (auto& variable : process.env) {
    plan.envp.push_back(const_cast<char*>(variable.c_str()));
    if (variable.rfind("PATH=", 0) == 0) plan.search_path = variable.c_str() + 5;
  }
  plan.envp.push_back(nullptr);
}

Result<void> plan_seccomp(const RuntimeSpec& spec, const std::string& cache_dir, InitPlan& plan) {
  if (!spec.seccomp) return {};
  plan.seccomp_program = BERTH_TRY_CONTEXT(
      cache_dir.empty() ? compile_seccomp(*spec.seccomp) : compile_seccomp_cached(*spec.seccomp, cache_dir),
      "compile the seccomp filter");
  plan.seccomp_flags = spec.seccomp->filter_flags;
  return {};
}

void plan_rootfs(const RuntimeSpec& spec, InitPlan& plan) {
  for (auto& mount : spec.mounts) {
    PreparedMount prepared;
    prepared.spec = &mount;
    prepared.is_cgroup = !mount.options.bind && (mount.type == "cgroup" || mount.type == "cgroup2");
    prepared.data = mount.options.data.empty() ? nullptr : mount.options.data.c_str();
    plan.mounts.push_back(prepared);
    if (mount.destination == "/dev" && mount.options.bind) plan.create_default_devices = false;
    if (mount.destination == "/dev/pts" && mount.type == "devpts") plan.devpts_mounted = true;
  }
  for (auto& [key, value] : spec.sysctls) {
    std::string path = "proc/sys/" + key;
    for (size_t i = 9; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    plan.sysctl_paths.push_back(std::move(path));
  }
}

void plan_cgroup(const cgroup::Cgroup& cgroup, bool new_cgroup_namespace, InitPlan& plan) {
  plan.unshare_cgroup_namespace = new_cgroup_namespace;
  if (cgroup.mode() == cgroup::Mode::v2) {
    plan.cgroup_mount = new_cgroup_namespace ? CgroupMountKind::cgroup2_fresh : CgroupMountKind::cgroup2_bind;
    plan.cgroup2_directory = cgroup.directory("");
  } else {
    plan.cgroup_mount = CgroupMountKind::v1_binds;
    plan.cgroup_binds = cgroup_hierarchy_binds(cgroup);
  }
}

// The child reads its copy of `entry.join` through plan.cgroup_join: `entry` must not move before the clone.
Result<void> prepare_cgroup_entry(const cgroup::Cgroup& cgroup, CgroupEntry& entry, InitPlan& plan) {
  entry.unified_directory = BERTH_TRY(cgroup.open_unified_directory());
  entry.join = cgroup.self_join_plan();
  plan.cgroup_join = &entry.join;
  return {};
}

// Opens the namespaces the spec joins by path (all but pid, which needs the intermediate).
Result<std::vector<UniqueFd>> open_namespace_paths(const RuntimeSpec& spec, InitPlan& plan) {
  std::vector<UniqueFd> fds;
  for (auto& ns : spec.namespaces) {
    if (ns.path.empty() || ns.kind == NamespaceKind::pid) continue;
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error(fmt::format("open {} namespace {}", namespace_name(ns.kind), ns.path));
    plan.join_namespaces.emplace_back(fd.get(), namespace_clone_flag(ns.kind));
    fds.push_back(std::move(fd));
  }
  return fds;
}

uint64_t new_namespace_flags(const RuntimeSpec& spec) {
  uint64_t flags = 0;
  for (auto& ns : spec.namespaces)
    // The cgroup namespace is unshared by the child once it is inside its cgroup, so that the cgroup is its root.
    if (ns.path.empty() && ns.kind != NamespaceKind::cgroup) flags |= static_cast<uint64_t>(namespace_clone_flag(ns.kind));
  return flags;
}

// The container's cgroup, removed again unless the container takes it over.
struct CgroupUndo {
  cgroup::Cgroup* cgroup = nullptr;
  ~CgroupUndo() {
    if (cgroup) (void)cgroup->remove();
  }
};

Result<UniqueFd> open_exec_fifo(const std::string& container_dir) {
  std::string fifo = container_dir + "/exec.fifo";
  if (::mkfifo(fifo.c_str(), 0600) != 0) return sys_error(fmt::format("mkfifo {}", fifo));
  UniqueFd directory(::open(container_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!directory) return sys_error(fmt::format("open {}", container_dir));
  return directory;
}

}  // namespace

Result<Launched> launch_container(const LaunchRequest& request) {
  PhaseClock clock(request.id);
  const RuntimeSpec& spec = *request.spec;
  InitPlan plan;
  plan.role = ProcessRole::container_init;
  plan.spec = &spec;
  plan.last_capability = last_capability();
  std::copy(std::begin(request.stdio), std::end(request.stdio), plan.stdio);
  plan.new_network = spec.has_new_namespace(NamespaceKind::network);
  plan_program(spec.process, plan);
  plan_rootfs(spec, plan);
  if (auto data = spec.annotations.find("org.berth.rootfs.overlay"); data != spec.annotations.end()) {
    auto base = spec.annotations.find("org.berth.rootfs.overlay.base");
    if (base == spec.annotations.end() || base->second.empty() || base->second[0] != '/')
      return unexpected(Error("annotation org.berth.rootfs.overlay needs an absolute org.berth.rootfs.overlay.base",
                              EINVAL));
    plan.rootfs_overlay_data = data->second.c_str();
    plan.rootfs_overlay_base = base->second.c_str();
  }
  BERTH_TRY(plan_seccomp(spec, request.seccomp_cache_dir, plan));
  auto namespace_fds = BERTH_TRY(open_namespace_paths(spec, plan));
  clock.mark("planned");

  auto layout = BERTH_TRY_CONTEXT(cgroup::detect(), "detect the cgroup layout");
  auto cgroup_path = BERTH_TRY(cgroup_path_for(spec.cgroups_path, request.id));
  auto cgroup = BERTH_TRY(create_container_cgroup(layout, cgroup_path, spec.resources));
  CgroupUndo cgroup_undo{&cgroup};
  plan_cgroup(cgroup, spec.has_new_namespace(NamespaceKind::cgroup), plan);
  CgroupEntry entry;
  BERTH_TRY(prepare_cgroup_entry(cgroup, entry, plan));
  clock.mark("cgroup created");

  UniqueFd start_directory;
  if (!request.start_immediately) start_directory = BERTH_TRY(open_exec_fifo(request.container_dir));
  plan.start_dir_fd = start_directory.get();
  auto sync = BERTH_TRY(make_sync_pair());
  plan.sync_fd = sync.child.get();

  // A pid namespace given by path can only be entered by a child of the process that joins it.
  UniqueFd pid_namespace;
  if (auto* ns = spec.find_namespace(NamespaceKind::pid); ns && !ns->path.empty()) {
    pid_namespace.reset(::open(ns->path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!pid_namespace) return sys_error(fmt::format("open pid namespace {}", ns->path));
  }

  uint64_t flags = new_namespace_flags(spec);
  int pidfd = -1;
  pid_t pid = clone_process(pid_namespace ? 0 : flags, &pidfd, entry.unified_directory.get(), false);
  if (pid == 0) {
    if (pid_namespace) run_intermediate(pid_namespace.get(), CLONE_NEWPID, flags, plan);
    run_child(plan);
  }
  if (pid < 0) return sys_error("clone the container's init");
  clock.mark("cloned");
  sync.child.reset();
  // Killed and reaped on any failure from here on. With a pid namespace path, `pid` is the intermediate, which
  // exits by itself once it has reported the init's pid.
  ChildProcess intermediate;
  ChildProcess init;
  (pid_namespace ? intermediate : init).reset(pid, UniqueFd(pidfd));

  UniqueFd console;
  BERTH_TRY(follow_child(sync.parent.get(), request.start_immediately ? Milestone::exec : Milestone::ready, init,
                         console));
  clock.mark(request.start_immediately ? "exec'd" : "ready");

  Launched launched;
  auto [init_pid, init_pidfd] = init.release();
  launched.pid = init_pid;
  launched.pidfd = std::move(init_pidfd);
  launched.console_master = std::move(console);
  cgroup_undo.cgroup = nullptr;
  launched.cgroup = std::move(cgroup);
  return launched;
}

Result<int> namespaces_to_join(pid_t pid) {
  constexpr std::pair<const char*, int> kNamespaces[] = {
      {"mnt", CLONE_NEWNS}, {"uts", CLONE_NEWUTS},       {"ipc", CLONE_NEWIPC},  {"net", CLONE_NEWNET},
      {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
  };
  int flags = 0;
  for (auto& [name, flag] : kNamespaces) {
    struct stat theirs {}, ours {};
    std::string path = fmt::format("/proc/{}/ns/{}", pid, name);
    if (::stat(path.c_str(), &theirs) != 0) {
      if (errno == ENOENT && std::strcmp(name, "time") == 0) continue;  // kernel without time namespaces
      return sys_error(fmt::format("stat {}", path));
    }
    if (::stat(fmt::format("/proc/self/ns/{}", name).c_str(), &ours) != 0) return sys_error("stat /proc/self/ns");
    if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) flags |= flag;
  }
  return flags;
}

Result<Executed> launch_exec(const ExecRequest& request) {
  InitPlan plan;
  plan.role = ProcessRole::exec;
  plan.spec = request.spec;
  plan.last_capability = last_capability();
  std::copy(std::begin(request.stdio), std::end(request.stdio), plan.stdio);
  plan_program(*request.process, plan);
  BERTH_TRY(plan_seccomp(*request.spec, request.seccomp_cache_dir, plan));
  int setns_flags = BERTH_TRY(namespaces_to_join(request.container_pid));

  CgroupEntry entry;
  if (request.cgroup) BERTH_TRY(prepare_cgroup_entry(*request.cgroup, entry, plan));
  auto sync = BERTH_TRY(make_sync_pair());
  plan.sync_fd = sync.child.get();

  int intermediate_pidfd = -1;
  pid_t intermediate_pid = clone_process(0, &intermediate_pidfd, entry.unified_directory.get(), false);
  if (intermediate_pid == 0) run_intermediate(request.container_pidfd, setns_flags, 0, plan);
  if (intermediate_pid < 0) return sys_error("clone the exec intermediate");
  ChildProcess intermediate(intermediate_pid, UniqueFd(intermediate_pidfd));
  sync.child.reset();

  ChildProcess process;
  UniqueFd console;
  BERTH_TRY(follow_child(sync.parent.get(), Milestone::exec, process, console));
  auto status = BERTH_TRY(intermediate.wait());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return unexpected(Error("the exec intermediate process failed", ECHILD));

  Executed executed;
  auto [pid, pidfd] = process.release();
  executed.pid = pid;
  executed.pidfd = std::move(pidfd);
  executed.console_master = std::move(console);
  return executed;
}

}  // namespace berth::runtime
