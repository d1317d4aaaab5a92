// The child side of container creation and exec: runs between clone and execve. It follows an InitPlan made by the
// parent, one step per line in set_up_container_init / set_up_exec_process, and allocates nothing (the caller may be
// multi-threaded and clone3 runs no atfork handlers, so the allocator's lock may be held by a thread that does not
// exist here). A failed step records errno and what it was doing; the parent turns that into an Error.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "engine/runtime/child_steps.h"
#include "engine/runtime/sync_channel.h"


namespace berth::runtime {
using namespace child;
namespace {

// ---- process-wide steps ---------------------------------------------------------------------------------------

bool reset_signal_handling() {
  // The caller's handlers, ignored signals and blocked mask would otherwise survive into the container (an ignored
  // SIGPIPE breaks pipelines; a blocked SIGTERM makes the container unstoppable).
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int signal = 1; signal < NSIG; ++signal)
    if (signal != SIGKILL && signal != SIGSTOP) (void)::sigaction(signal, &action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) return fail(errno, "unblock signals");
  return true;
}

bool protect_from_inspection() {
  // Not dumpable until execve (which resets it): a process exec'd into a created container cannot ptrace us or open
  // our fds (which include the host's state directory) through /proc (CVE-2016-9962).
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return fail(errno, "prctl(PR_SET_DUMPABLE)");
  // Our files get exactly the modes we ask for; the process's umask is set at the end.
  ::umask(0);
  return true;
}

bool install_stdio(const InitPlan& plan) {
  int moved[3] = {-1, -1, -1};
  // First move the requested fds out of 0..2, so that e.g. stdout_fd == 0 is not clobbered by the stdin dup2.
  for (int i = 0; i < 3; ++i)
    if (plan.stdio[i] >= 0 && plan.stdio[i] != i) {
      moved[i] = ::fcntl(plan.stdio[i], F_DUPFD_CLOEXEC, 3);
      if (moved[i] < 0) return fail(errno, "duplicate stdio fd %d", plan.stdio[i]);
    }
  for (int i = 0; i < 3; ++i) {
    if (moved[i] < 0) {
      if (plan.stdio[i] == i) (void)::fcntl(i, F_SETFD, 0);  // make sure it survives execve
      continue;
    }
    if (::dup2(moved[i], i) < 0) return fail(errno, "dup2 onto fd %d", i);
    ::close(moved[i]);
  }
  return true;
}

// Closes every fd but 0..2 and the ones the plan still needs, so nothing of the caller's (host directories,
// sockets) is reachable from inside: not even through /proc/self/fd during chdir (CVE-2024-21626).
bool close_inherited_fds(const InitPlan& plan) {
  int keep[16];
  int count = 0;
  auto add = [&](int fd) {
    if (fd > 2 && count < 16) keep[count++] = fd;
  };
  add(plan.sync_fd);
  add(plan.start_dir_fd);
  for (auto& [fd, type] : plan.join_namespaces) add(fd);
  for (int i = 1; i < count; ++i)  // insertion sort: at most a handful
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) std::swap(keep[j - 1], keep[j]);
  unsigned next = 3;
  for (int i = 0; i < count; ++i) {
    if (static_cast<unsigned>(keep[i]) > next && ::close_range(next, static_cast<unsigned>(keep[i]) - 1, 0) != 0)
      return fail(errno, "close inherited fds");
    next = static_cast<unsigned>(keep[i]) + 1;
  }
  if (::close_range(next, ~0U, 0) != 0) return fail(errno, "close inherited fds");
  return true;
}

bool join_namespaces(const InitPlan& plan) {
  for (auto& [fd, type] : plan.join_namespaces) {
    if (::setns(fd, type) != 0) return fail(errno, "join namespace (setns type 0x%x)", type);
    ::close(fd);
  }
  return true;
}

bool join_cgroup(const InitPlan& plan, bool in_cgroup) {
  // First of all: nothing may run outside the container's cgroup (and its limits), not even our own set-up.
  if (in_cgroup || !plan.cgroup_join) return true;
  const char* failed = nullptr;
  if (int error = cgroup::join_self(*plan.cgroup_join, &failed); error != 0)
    return fail(error, "join the container's cgroup (%s)", failed ? failed : "?");
  return true;
}

bool unshare_cgroup_namespace(const InitPlan& plan) {
  // Only once we are inside the container's cgroup: the new namespace's root is the cgroup we are in now.
  if (plan.unshare_cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0) return fail(errno, "unshare the cgroup namespace");
  return true;
}

bool become_session_leader() {
  // Our own session: the caller's terminal's signals (^C) are not the container's, and a console can become our
  // controlling terminal.
  if (::setsid() < 0 && errno != EPERM) return fail(errno, "setsid");
  return true;
}

bool set_oom_score_adj(const ProcessSpec& process) {
  if (!process.oom_score_adj) return true;
  char value[16];
  int length = std::snprintf(value, sizeof value, "%d", *process.oom_score_adj);
  int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno, "open /proc/self/oom_score_adj");
  bool written = write_all(fd, value, static_cast<size_t>(length));
  int saved = errno;
  ::close(fd);
  if (!written) return fail(saved, "write oom_score_adj %s", value);
  return true;
}

bool set_rlimits(const ProcessSpec& process) {
  for (auto& rlimit : process.rlimits) {
    struct rlimit value {
      rlimit.soft, rlimit.hard
    };
    if (::setrlimit(static_cast<__rlimit_resource>(rlimit.resource), &value) != 0)
      return fail(errno, "setrlimit %d (soft %llu, hard %llu)", rlimit.resource,
                  static_cast<unsigned long long>(rlimit.soft), static_cast<unsigned long long>(rlimit.hard));
  }
  return true;
}

// ---- namespaces' contents -------------------------------------------------------------------------------------

bool set_hostname(const RuntimeSpec& spec) {
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.c_str(), spec.hostname.size()) != 0)
    return fail(errno, "sethostname %s", spec.hostname.c_str());
  if (!spec.domainname.empty() && ::setdomainname(spec.domainname.c_str(), spec.domainname.size()) != 0)
    return fail(errno, "setdomainname %s", spec.domainname.c_str());
  return true;
}

bool bring_loopback_up(const InitPlan& plan) {
  if (!plan.new_network) return true;
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return fail(errno, "socket for lo");
  ifreq request{};
  std::memcpy(request.ifr_name, "lo", 3);
  bool ok = true;
  if (::ioctl(sock, SIOCGIFFLAGS, &request) != 0) {
    ok = fail(errno, "get flags of lo");
  } else {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(sock, SIOCSIFFLAGS, &request) != 0) ok = fail(errno, "bring lo up");
  }
  ::close(sock);
  return ok;
}

bool apply_sysctls(const InitPlan& plan, const ChildState& state) {
  // Through the container's /proc/sys, so the values land in the container's namespaces; before /proc/sys becomes
  // read-only.
  for (size_t i = 0; i < plan.sysctl_paths.size(); ++i) {
    const auto& value = plan.spec->sysctls[i].second;
    int fd = open_in_container(state.root_fd, plan.sysctl_paths[i].c_str(), O_WRONLY | O_TRUNC);
    if (fd < 0) return fail(errno, "open sysctl %s", plan.spec->sysctls[i].first.c_str());
    bool written = write_all(fd, value.c_str(), value.size());
    int saved = errno;
    ::close(fd);
    if (!written) return fail(saved, "set sysctl %s=%s", plan.spec->sysctls[i].first.c_str(), value.c_str());
  }
  return true;
}

// A pty from the container's own devpts, its peer bound over /dev/console (init only) and made our controlling
// terminal and stdio; the master goes to the parent.
bool setup_console(const InitPlan& plan, const ChildState& state) {
  if (!plan.process->terminal) return true;
  int master = open_in_container(state.root_fd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
  if (master < 0) return fail(errno, "open /dev/pts/ptmx in the container");
  struct statfs fs {};
  if (::fstatfs(master, &fs) != 0 || fs.f_type != DEVPTS_SUPER_MAGIC) {
    ::close(master);
    return fail(EPERM, "/dev/pts/ptmx in the container is not on a devpts file system");
  }
  int unlock = 0;
  int slave = -1;
  bool ok = true;
  if (::ioctl(master, TIOCSPTLCK, &unlock) != 0) {
    ok = fail(errno, "unlock the pty");
  } else if ((slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
    ok = fail(errno, "open the pty's peer");
  }
  if (ok && plan.process->console_height && plan.process->console_width) {
    winsize size{};
    size.ws_row = static_cast<unsigned short>(plan.process->console_height);
    size.ws_col = static_cast<unsigned short>(plan.process->console_width);
    if (::ioctl(slave, TIOCSWINSZ, &size) != 0) ok = fail(errno, "set the console size");
  }
  if (ok && ::fchown(slave, plan.process->user.uid, static_cast<gid_t>(-1)) != 0) ok = fail(errno, "chown the pty");
  if (ok && plan.role == ProcessRole::container_init) {
    int console = open_in_container(state.root_fd, "/dev/console", O_PATH | O_NOFOLLOW);
    int tree = console < 0 ? -1 : ::open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (console < 0 || tree < 0)
      ok = fail(errno, "bind the pty over /dev/console");
    else
      ok = attach_mount(tree, console, "/dev/console");
    if (tree >= 0) ::close(tree);
    if (console >= 0) ::close(console);
  }
  if (ok && ::ioctl(slave, TIOCSCTTY, 0) != 0) ok = fail(errno, "make the pty our controlling terminal");
  for (int i = 0; ok && i < 3; ++i)
    if (::dup2(slave, i) < 0) ok = fail(errno, "dup2 the pty onto fd %d", i);
  if (ok) {
    SyncMessage message;
    message.kind = SyncKind::console;
    if (!send_sync_message(plan.sync_fd, message, master)) ok = fail(errno, "send the pty master to the runtime");
  }
  if (slave >= 0) ::close(slave);
  ::close(master);
  return ok;
}

// ---- credentials and confinement ------------------------------------------------------------------------------

bool set_personality(const RuntimeSpec& spec) {
  if (spec.personality && ::personality(*spec.personality) < 0) return fail(errno, "personality");
  return true;
}

bool load_seccomp_filter(const InitPlan& plan) {
  if (plan.seccomp_program.empty()) return true;
  sock_fprog program{};
  program.len = static_cast<unsigned short>(plan.seccomp_program.size());
  program.filter = reinterpret_cast<sock_filter*>(const_cast<BpfInstruction*>(plan.seccomp_program.data()));
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, plan.seccomp_flags, &program) != 0)
    return fail(errno, "load the seccomp filter");
  return true;
}

bool set_no_new_privileges(const ProcessSpec& process) {
  if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail(errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  return true;
}

bool seccomp_before_dropping_privileges(const InitPlan& plan) {
  // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN, which we still have now and not after the drop.
  if (plan.process->no_new_privileges) return true;
  return load_seccomp_filter(plan);
}

bool seccomp_as_late_as_possible(const InitPlan& plan) {
  // With no_new_privs the filter can come last, so it confines the user's program and nothing of ours.
  if (!plan.process->no_new_privileges) return true;
  return load_seccomp_filter(plan);
}

bool drop_bounding_set(const InitPlan& plan) {
  // Needs CAP_SETPCAP, so before the user switch.
  uint64_t keep = plan.process->capabilities.bounding;
  for (int cap = 0; cap <= plan.last_capability; ++cap)
    if (!(keep & (uint64_t{1} << cap)) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return fail(errno, "drop capability %d from the bounding set", cap);
  return true;
}

bool switch_user(const ProcessSpec& process) {
  // Keep the permitted set across setuid; we set all five sets explicitly right after.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail(errno, "prctl(PR_SET_KEEPCAPS)");
  // Raw syscalls, not glibc's wrappers: in a process cloned from a multi-threaded caller, glibc still believes in
  // the caller's other threads and would try to make them change ids too (taking its thread-list lock, which one of
  // them may have held at clone time). We are single-threaded: the per-thread syscall is exactly right.
  const auto& user = process.user;
  if (::syscall(SYS_setgroups, user.additional_gids.size(), user.additional_gids.data()) != 0)
    return fail(errno, "setgroups (%zu groups)", user.additional_gids.size());
  if (::syscall(SYS_setresgid, user.gid, user.gid, user.gid) != 0) return fail(errno, "setgid %u", user.gid);
  if (::syscall(SYS_setresuid, user.uid, user.uid, user.uid) != 0) return fail(errno, "setuid %u", user.uid);
  return true;
}

bool set_capabilities(const ProcessSpec& process) {
  const auto& caps = process.capabilities;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(caps.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(caps.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(caps.inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &header, data) != 0) return fail(errno, "capset");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return fail(errno, "clear the ambient capabilities");
  for (int cap = 0; cap < 64; ++cap)
    if ((caps.ambient & (uint64_t{1} << cap)) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
      return fail(errno, "raise ambient capability %d", cap);
  return true;
}

bool set_umask(const ProcessSpec& process) {
  ::umask(process.user.umask.value_or(022));
  return true;
}

bool change_directory(const ProcessSpec& process) {
  // As the container's user, so its permissions apply.
  if (::chdir(process.cwd.c_str()) != 0) return fail(errno, "chdir to cwd %s", process.cwd.c_str());
  // A cwd outside the root (a leaked directory fd) shows as "(unreachable)..." (CVE-2024-21626).
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd) || cwd[0] != '/')
    return fail(EPERM, "cwd %s is not inside the container", process.cwd.c_str());
  return true;
}

// PATH lookup inside the container, with the same permission checks execve will make (effective ids and
// capabilities). Done before waiting for `start`, so `create` already reports a missing program.
bool resolve_executable(const InitPlan& plan, ChildState& state) {
  const char* name = plan.argv[0];
  auto check = [&](const char* candidate) -> int {
    struct stat st {};
    if (::stat(candidate, &st) != 0) return errno;
    if (S_ISDIR(st.st_mode)) return EISDIR;
    if (::faccessat(AT_FDCWD, candidate, X_OK, AT_EACCESS) != 0) return errno;
    return 0;
  };
  if (std::strchr(name, '/')) {
    int error = check(name);
    if (error == ENOENT)
      return fail_with_reason(ENOENT, "exec: \"%s\": stat %s: no such file or directory", name, name);
    if (error == EISDIR) return fail_with_reason(EACCES, "exec: \"%s\": is a directory", name);
    if (error) return fail(error, "exec: \"%s\"", name);
    std::snprintf(state.executable, sizeof state.executable, "%s", name);
    return true;
  }
  const char* search = plan.search_path ? plan.search_path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int denied = 0;
  while (true) {
    const char* end = std::strchr(search, ':');
    size_t length = end ? static_cast<size_t>(end - search) : std::strlen(search);
    int written = length == 0 ? std::snprintf(state.executable, sizeof state.executable, "./%s", name)
                              : std::snprintf(state.executable, sizeof state.executable, "%.*s/%s",
                                              static_cast<int>(length), search, name);
    if (written > 0 && static_cast<size_t>(written) < sizeof state.executable) {
      int error = check(state.executable);
      if (error == 0) return true;
      if (error == EACCES || error == EISDIR) denied = EACCES;
    }
    if (!end) break;
    search = end + 1;
  }
  if (denied) return fail_with_reason(EACCES, "exec: \"%s\": permission denied", name);
  return fail_with_reason(ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

// ---- start ----------------------------------------------------------------------------------------------------

bool announce_ready(const InitPlan& plan) {
  if (plan.start_dir_fd < 0) return true;  // run: nobody waits for "ready", we go straight on
  SyncMessage message;
  message.kind = SyncKind::ready;
  if (!send_sync_message(plan.sync_fd, message)) return fail(errno, "tell the runtime we are ready");
  return true;
}

bool wait_for_start(const InitPlan& plan, ChildState& state) {
  if (plan.start_dir_fd < 0) return true;
  // Opening a fifo for writing blocks until a reader opens it: that reader is `start`. From here on failures are
  // reported to it through the fifo; a successful execve closes our end (O_CLOEXEC), which it sees as EOF.
  state.gate_fd = ::openat(plan.start_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
  if (state.gate_fd < 0) return fail(errno, "open exec.fifo");
  ::close(plan.start_dir_fd);
  return true;
}

[[noreturn]] void exec_program(const InitPlan& plan, ChildState& state) {
  ::execve(state.executable, plan.argv.data(), plan.envp.data());
  int error = errno;
  fail(error, "exec: \"%s\"", plan.argv[0]);
  exit_with_failure(plan, state);
}

// ---- the two sequences ----------------------------------------------------------------------------------------

bool set_up_container_init(const InitPlan& plan, ChildState& state, bool in_cgroup) {
  const RuntimeSpec& spec = *plan.spec;
  const ProcessSpec& process = *plan.process;
  CHILD_STEP(join_cgroup(plan, in_cgroup));
  CHILD_STEP(reset_signal_handling());
  CHILD_STEP(protect_from_inspection());
  CHILD_STEP(install_stdio(plan));
  CHILD_STEP(close_inherited_fds(plan));
  CHILD_STEP(become_session_leader());
  CHILD_STEP(join_namespaces(plan));
  CHILD_STEP(unshare_cgroup_namespace(plan));
  CHILD_STEP(set_oom_score_adj(process));
  CHILD_STEP(set_rlimits(process));
  CHILD_STEP(setup_rootfs(plan, state));
  CHILD_STEP(set_hostname(spec));
  CHILD_STEP(bring_loopback_up(plan));
  CHILD_STEP(apply_sysctls(plan, state));
  CHILD_STEP(setup_console(plan, state));
  CHILD_STEP(mask_paths(spec, state));
  CHILD_STEP(make_paths_read_only(spec, state));
  CHILD_STEP(set_personality(spec));
  CHILD_STEP(set_no_new_privileges(process));
  CHILD_STEP(seccomp_before_dropping_privileges(plan));
  CHILD_STEP(drop_bounding_set(plan));
  CHILD_STEP(switch_user(process));
  CHILD_STEP(set_capabilities(process));
  CHILD_STEP(set_umask(process));
  CHILD_STEP(change_directory(process));
  CHILD_STEP(resolve_executable(plan, state));
  CHILD_STEP(announce_ready(plan));
  CHILD_STEP(wait_for_start(plan, state));
  CHILD_STEP(seccomp_as_late_as_possible(plan));
  return true;
}

bool set_up_exec_process(const InitPlan& plan, ChildState& state) {
  const ProcessSpec& process = *plan.process;
  // Our parent (the intermediate) already joined the container's cgroup and namespaces, including its mount
  // namespace, so "/" is the container's root.
  CHILD_STEP(reset_signal_handling());
  CHILD_STEP(protect_from_inspection());
  CHILD_STEP(install_stdio(plan));
  CHILD_STEP(close_inherited_fds(plan));
  CHILD_STEP(become_session_leader());
  state.root_fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (state.root_fd < 0) return fail(errno, "open the container's root");
  CHILD_STEP(set_oom_score_adj(process));
  CHILD_STEP(set_rlimits(process));
  CHILD_STEP(setup_console(plan, state));
  CHILD_STEP(set_personality(*plan.spec));
  CHILD_STEP(set_no_new_privileges(process));
  CHILD_STEP(seccomp_before_dropping_privileges(plan));
  CHILD_STEP(drop_bounding_set(plan));
  CHILD_STEP(switch_user(process));
  CHILD_STEP(set_capabilities(process));
  CHILD_STEP(set_umask(process));
  CHILD_STEP(change_directory(process));
  CHILD_STEP(resolve_executable(plan, state));
  CHILD_STEP(seccomp_as_late_as_possible(plan));
  return true;
}

}  // namespace

void run_child(const InitPlan& plan, bool in_cgroup) {
  ChildState state;
  bool ready = plan.role == ProcessRole::container_init ? set_up_container_init(plan, state, in_cgroup)
                                                        : set_up_exec_process(plan, state);
  if (!ready) exit_with_failure(plan, state);
  exec_program(plan, state);
}

bool join_cgroup_self(const InitPlan& plan) { return join_cgroup(plan, false); }

void report_child_failure(const InitPlan& plan) { exit_with_failure(plan, ChildState{}); }

}  // namespace berth::runtime
