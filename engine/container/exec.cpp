// `berth exec`: a new process in a running container, with the container's namespaces, cgroup, capabilities and
// seccomp filter (the runtime joins them), and the caller's stdio or a new tty.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "core/text.h"
#include "engine/container/engine.h"
#include "engine/container/rootfs.h"
#include "engine/container/runtime_driver.h"
#include "engine/spec/spec.h"

namespace berth::container {
namespace {


void set_env(std::vector<std::string>& env, const std::string& entry) {
  auto key = entry.substr(0, entry.find('='));
  for (auto& existing : env) {
    if (existing.substr(0, existing.find('=')) == key) {
      existing = entry;
      return;
    }
  }
  env.push_back(entry);
}

// Copies between our terminal and the exec'd process's pty until the process ends.
int relay_tty(int master, pid_t child) {
  termios saved{};
  bool raw = ::isatty(0) && ::tcgetattr(0, &saved) == 0;
  if (raw) {
    termios mode = saved;
    ::cfmakeraw(&mode);
    mode.c_oflag |= OPOST;
    ::tcsetattr(0, TCSANOW, &mode);
  }
  winsize size{};
  if (::ioctl(0, TIOCGWINSZ, &size) == 0) ::ioctl(master, TIOCSWINSZ, &size);
  sigset_t signals, previous;
  sigemptyset(&signals);
  sigaddset(&signals, SIGWINCH);
  sigaddset(&signals, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &signals, &previous);
  int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
  bool stdin_open = true, master_open = true;
  int status = 0;
  bool exited = false;
  while (master_open) {
    pollfd fds[3] = {{master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}, {signal_fd, POLLIN, 0}};
    if (::poll(fds, 3, exited ? 200 : -1) <= 0) {
      if (exited) break;
      continue;
    }
    char buffer[65536];
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n <= 0) master_open = false;
      else (void)!::write(1, buffer, static_cast<size_t>(n));
    }
    if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP))) {
      ssize_t n = ::read(0, buffer, sizeof buffer);
      if (n <= 0) stdin_open = false;
      else (void)!::write(master, buffer, static_cast<size_t>(n));
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo info{};
      (void)!::read(signal_fd, &info, sizeof info);
      if (info.ssi_signo == SIGWINCH && ::ioctl(0, TIOCGWINSZ, &size) == 0) ::ioctl(master, TIOCSWINSZ, &size);
      if (!exited && ::waitpid(child, &status, WNOHANG) == child) exited = true;
    }
  }
  if (!exited) ::waitpid(child, &status, 0);
  ::close(signal_fd);
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  if (raw) ::tcsetattr(0, TCSANOW, &saved);
  return exit_code_from_wait_status(status);
}

}  // namespace

Result<int> ContainerEngine::exec(const std::string& name_or_id, const ExecOptions& options) {
  auto record = BERTH_TRY(find(name_or_id));
  if (record.state.status != Status::running)
    return unexpected(Error(fmt::format("container {} is not running", text::short_id(record.id)), EINVAL));
  if (options.command.empty()) return unexpected(Error("exec: no command specified", EINVAL));

  auto config_text = BERTH_TRY(fs::read_file(store_.directory(record.id) + "/config.json"));
  auto config = nlohmann::json::parse(config_text, nullptr, false);
  if (config.is_discarded() || !config.contains("process"))
    return unexpected(Error(fmt::format("container {}: config.json is unreadable", record.name), EINVAL));
  nlohmann::json process = config["process"];
  process["args"] = options.command;
  process["terminal"] = options.tty;
  process.erase("consoleSize");
  std::vector<std::string> env = process.value("env", std::vector<std::string>{});
  for (const auto& entry : options.env) set_env(env, entry);
  process["env"] = env;
  if (!options.working_dir.empty()) process["cwd"] = options.working_dir;
  if (!options.user.empty()) {
    // The container's root as its init sees it (the overlay may exist only in the container's mount namespace).
    UniqueFd root(::open(fmt::format("/proc/{}/root", record.state.pid).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return sys_error(fmt::format("open the root of {}", record.name));
    auto user = BERTH_TRY(spec::resolve_user(options.user, read_file_in_root(root.get(), "etc/passwd"),
                                             read_file_in_root(root.get(), "etc/group")));
    process["user"] = {{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", user.additional_gids}};
    if (!user.home.empty()) set_env(env, "HOME=" + user.home), process["env"] = env;
  }
  if (options.privileged) {
    const auto& all = spec::all_capabilities();
    process["capabilities"] = {{"bounding", all}, {"effective", all}, {"permitted", all}};
  }

  ExecRequest request;
  request.id = record.id;
  request.process_json = process.dump();
  request.tty = options.tty;
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!options.tty) {
    request.stdin_fd = options.interactive && !options.detach ? 0 : null_fd.get();
    request.stdout_fd = options.detach ? null_fd.get() : 1;
    request.stderr_fd = options.detach ? null_fd.get() : 2;
  }
  auto driver = make_runtime_driver(record.settings.runtime, state_.runtime_state());
  auto started = driver->exec(request);
  if (!started) return started.error();
  if (options.detach) return 0;
  if (options.tty && started->console_master) return relay_tty(started->console_master.get(), started->pid);
  auto status = BERTH_TRY(wait_for_child(started->pid));
  return exit_code_from_wait_status(status);
}

}  // namespace berth::container
